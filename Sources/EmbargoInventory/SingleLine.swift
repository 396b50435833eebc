/// Text from files or other machines (reasons, host names, file names, journal fields) kept on one
/// line: control characters become spaces, so none can start a line or move a terminal's cursor.
public enum SingleLine {
    public static func of(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? " " : $0 }))
    }
}
