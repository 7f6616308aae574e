import Foundation

/// A short fingerprint of a file's bytes (64-bit FNV-1a), to notice that a playbook changed
/// between a run and its resume. Not a cryptographic hash.
public enum Fingerprint {
    /// The fingerprint of the file at `path`, or nil when it cannot be read.
    public static func of(file path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
