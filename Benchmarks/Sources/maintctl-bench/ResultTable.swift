/// Formats measurements as a plain-text table with aligned columns.
struct ResultTable {
    /// Column titles.
    var header: [String]
    /// Rows of cells, as many as there are titles.
    var rows: [[String]] = []

    /// Adds a row.
    mutating func add(_ cells: [String]) { rows.append(cells) }

    /// The table: a header, a rule, the rows; numbers right-aligned, text left-aligned.
    var text: String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return Self.isNumeric(cell) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingSpaces
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }

    private static func isNumeric(_ cell: String) -> Bool {
        !cell.isEmpty && cell.allSatisfy { $0.isNumber || $0 == "." || $0 == "," }
    }
}

/// Number formatting for the table.
enum Format {
    /// `1234.5678` → `1234.57`.
    static func ms(_ duration: Duration) -> String { fixed(duration.milliseconds, decimals: 2) }

    /// Microseconds with one decimal.
    static func us(_ value: Double) -> String { fixed(value, decimals: 1) }

    /// `100000` → `100,000`.
    static func count(_ value: Int) -> String {
        let digits = Array(String(value))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }

    /// A fixed-point number without Foundation's locale-dependent formatting.
    static func fixed(_ value: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale), fraction = abs(scaled % Int(scale))
        guard decimals > 0 else { return String(whole) }
        let digits = String(fraction)
        return "\(whole).\(String(repeating: "0", count: decimals - digits.count))\(digits)"
    }
}

extension String {
    /// The string without spaces at its end.
    var trimmingTrailingSpaces: String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}
