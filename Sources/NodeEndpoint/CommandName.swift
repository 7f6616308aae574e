import NIOCore

/// A command's name in upper case, as a small fixed-size value: read from a request's bytes
/// without making a `String`, compared and hashed as three integers. Names longer than 24
/// bytes (no Redis command's) keep their first 24 and their length.
struct CommandName: Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    private var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
    private let length: Int

    init(bytes: UnsafeRawBufferPointer) {
        self.init(bytes)
    }

    private init(_ bytes: some Sequence<UInt8>) {
        var (first, second, third): (UInt64, UInt64, UInt64) = (0, 0, 0)
        var index = 0
        for var byte in bytes {
            if index < 24 {
                if byte >= UInt8(ascii: "a"), byte <= UInt8(ascii: "z") { byte -= 32 }
                let shifted = UInt64(byte) << (8 * UInt64(index & 7))
                switch index >> 3 {
                case 0: first |= shifted
                case 1: second |= shifted
                default: third |= shifted
                }
            }
            index += 1
        }
        words = (first, second, third)
        length = index
    }

    init(_ buffer: ByteBuffer) {
        self = buffer.withUnsafeReadableBytes { CommandName(bytes: $0) }
    }

    init(_ text: String) {
        self.init(text.utf8)
    }

    init(stringLiteral value: String) {
        self.init(value)
    }

    static func == (left: CommandName, right: CommandName) -> Bool {
        left.length == right.length && left.words == right.words
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(length)
    }

    /// The name in upper case.
    var description: String {
        var bytes: [UInt8] = []
        for (index, word) in [words.0, words.1, words.2].enumerated() {
            for shift in 0..<8 where index * 8 + shift < min(length, 24) { bytes.append(UInt8(truncatingIfNeeded: word >> (8 * UInt64(shift)))) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The name in lower case, as Redis names commands in its errors.
    var lowercased: String { description.lowercased() }
}
