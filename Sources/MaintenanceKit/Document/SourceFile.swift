import Foundation

/// The text of one input file, read with limits so that hostile input fails fast and clearly.
public struct SourceFile: Sendable {
    /// The path as the user named it; diagnostics print it.
    public var path: String
    /// The file's UTF-8 text.
    public var text: String

    /// The largest file we read: far above any real playbook or inventory
    /// (a 10,000-node inventory is a few MB), far below what would stall the parser.
    public static let maximumBytes = 16 << 20

    /// Creates a source from text already in memory (tests, generated inventories).
    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }

    /// Reads `path`.
    /// - Throws: `DiagnosticsError` naming the file when it is missing, a directory, too large,
    ///   not UTF-8 text, or empty.
    public init(contentsOf path: String) throws(DiagnosticsError) {
        func fail(_ message: String) -> DiagnosticsError {
            DiagnosticsError([Diagnostic(.unreadableFile, at: .start(of: path), message)])
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw fail("no such file")
        }
        if isDirectory.boolValue { throw fail("is a directory, expected a YAML file") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw fail("cannot open the file for reading") }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: Self.maximumBytes + 1) ?? Data()
        } catch {
            throw fail("cannot read the file: \(error.localizedDescription)")
        }
        if data.count > Self.maximumBytes {
            throw fail("file is larger than \(Self.maximumBytes >> 20) MB; a playbook or inventory is far smaller")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw fail("file is not UTF-8 text")
        }
        // Bytes, not characters: a search of the text for NUL went through Foundation's string
        // search and cost a 16 MB file a third of a second.
        if data.withUnsafeBytes({ bytes in bytes.baseAddress.map { memchr($0, 0, bytes.count) != nil } ?? false }) {
            throw fail("file contains NUL bytes; it is binary, not YAML text")
        }
        if text.allSatisfy({ $0.isWhitespace }) { throw fail("file is empty") }
        self.init(path: path, text: text)
    }

    /// The location of the start of the file.
    public var start: SourceLocation { .start(of: path) }
}
