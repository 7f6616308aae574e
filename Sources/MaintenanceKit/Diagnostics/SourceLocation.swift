/// A position in a source file, 1-based, as editors and compilers print it.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The file path as the user named it.
    public var file: String
    /// Line number starting from 1.
    public var line: Int
    /// Column number starting from 1 (counted in Unicode scalars).
    public var column: Int

    /// Creates a location.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// The start of `file`, for problems that concern the file as a whole.
    public static func start(of file: String) -> SourceLocation {
        SourceLocation(file: file, line: 1, column: 1)
    }

    /// `file:line:col`.
    public var description: String { "\(file):\(line):\(column)" }
}
