/// Left-aligned columns separated by two spaces; the last cell of each row is not padded. Widths
/// count characters, so a cell is never cut (Foundation's `padding(toLength:)` counts UTF-16 units
/// and would split a character outside the BMP).
public enum TextTable {
    public static func render(_ rows: [[String]]) -> String {
        var widths: [Int] = []
        for row in rows {
            for (index, cell) in row.enumerated() {
                if index == widths.count { widths.append(0) }
                widths[index] = max(widths[index], cell.count)
            }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in index == row.count - 1 ? cell : cell.padding(to: widths[index]) }
                .joined(separator: "  ") + "\n"
        }.joined()
    }
}
