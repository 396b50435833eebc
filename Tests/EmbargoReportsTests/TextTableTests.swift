import EmbargoInventory
import EmbargoReports
import Testing

@Suite("text tables and single-line text")
struct TextTableTests {
    @Test("columns are padded to the widest cell in characters; the last cell is not padded")
    func columns() {
        let text = TextTable.render([["HOST", "STATUS", "NOTE"], ["db-01", "violation", "x"], ["höst-😀", "ok", ""]])
        #expect(text == "HOST    STATUS     NOTE\ndb-01   violation  x\nhöst-😀  ok         \n")
        #expect(TextTable.render([]) == "")
    }

    @Test("control characters become spaces; other text is kept")
    func singleLine() {
        #expect(SingleLine.of("a\nb\tc\u{1B}[31md\u{7F}é😀") == "a b c [31md é😀")
    }
}
