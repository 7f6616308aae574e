import Foundation

/// A short digest of a value's canonical JSON (64-bit FNV-1a, sorted keys), to tell two
/// documents apart at a glance. Not a cryptographic hash.
public enum Digest {
    /// The digest of `value`, or of nothing when it cannot be encoded.
    public static func of<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return of(bytes: (try? encoder.encode(value)) ?? Data())
    }

    /// The digest of `bytes`.
    public static func of(bytes: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let text = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
