/// A POSIX ustar archive built in memory: directories and regular files, owned by root,
/// which is what an engine imports as an image's root file system.
struct TarArchive {
    private(set) var bytes: [UInt8] = []
    private var directories: Set<String> = []

    /// Adds a file at `path` (relative, `usr/local/bin/redis-server`), with its parent
    /// directories when they are not in the archive yet.
    /// - Throws: `TarArchive.PathTooLong` for a path of more than 100 bytes.
    mutating func addFile(_ path: String, contents: [UInt8], mode: Int) throws {
        var parent = ""
        for component in path.split(separator: "/").dropLast() {
            parent += component + "/"
            if directories.insert(parent).inserted { try addEntry(parent, size: 0, mode: 0o755, type: "5") }
        }
        try addEntry(path, size: contents.count, mode: mode, type: "0")
        bytes += contents
        bytes += [UInt8](repeating: 0, count: (512 - contents.count % 512) % 512)
    }

    /// The archive with its two closing zero blocks.
    var finished: [UInt8] { bytes + [UInt8](repeating: 0, count: 1024) }

    struct PathTooLong: Error, CustomStringConvertible {
        var path: String
        var description: String { "'\(path)' is longer than a tar header holds (100 bytes)" }
    }

    private mutating func addEntry(_ path: String, size: Int, mode: Int, type: Character) throws {
        let name = Array(path.utf8)
        guard name.count <= 100 else { throw PathTooLong(path: path) }
        var header = [UInt8](repeating: 0, count: 512)
        func put(_ field: [UInt8], at offset: Int) { header.replaceSubrange(offset..<offset + field.count, with: field) }
        func octal(_ value: Int, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: width - 1 - digits.count) + digits).utf8) + [0]
        }
        put(name, at: 0)
        put(octal(mode, width: 8), at: 100)
        put(octal(0, width: 8), at: 108) // uid
        put(octal(0, width: 8), at: 116) // gid
        put(octal(size, width: 12), at: 124)
        put(octal(0, width: 12), at: 136) // mtime
        put(Array(repeating: UInt8(ascii: " "), count: 8), at: 148) // checksum, counted as spaces
        put([type.asciiValue ?? UInt8(ascii: "0")], at: 156)
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        let checksum = header.reduce(0) { $0 + Int($1) }
        put(octal(checksum, width: 7) + [UInt8(ascii: " ")], at: 148)
        bytes += header
    }
}
