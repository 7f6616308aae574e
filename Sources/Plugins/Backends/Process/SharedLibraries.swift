import Foundation
import MaintenanceKit

/// The shared libraries a binary of this machine loads, as `ldd` lists them: what a machine
/// or an image without them needs beside the binary.
public enum SharedLibraries {
    /// The shared libraries `binary` loads, the dynamic loader among them.
    /// - Parameters:
    ///   - binary: A dynamically linked executable of this machine.
    ///   - code: The error code of a failure, the caller's.
    /// - Throws: `BackendError` with `code` when `ldd` fails or a library is missing here.
    public static func of(_ binary: String, failing code: BackendErrorCode) throws -> [String] {
        let ldd = Process()
        ldd.executableURL = URL(fileURLWithPath: try LocalProcessHost.executable("ldd"))
        ldd.arguments = [binary]
        let output = Pipe()
        ldd.standardOutput = output
        ldd.standardError = FileHandle.nullDevice
        do {
            try ldd.run()
        } catch {
            throw BackendError(code, "cannot run ldd on \(binary): \(error)")
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        ldd.waitUntilExit()
        guard ldd.terminationStatus == 0 else {
            throw BackendError(code, "ldd \(binary) failed (status \(ldd.terminationStatus)): a dynamically linked binary is needed")
        }
        // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)", "/lib64/ld-linux-x86-64.so.2 (0x…)";
        // the kernel's vDSO has no file.
        if let missing = text.split(whereSeparator: \.isNewline).first(where: { $0.contains("=> not found") }) {
            throw BackendError(code, "\(binary) needs \(missing.split(whereSeparator: \.isWhitespace).first ?? ""), which is not on this machine")
        }
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
            if let arrow = words.firstIndex(of: "=>"), arrow + 1 < words.count, words[arrow + 1].hasPrefix("/") { return words[arrow + 1] }
            return words.first.flatMap { $0.hasPrefix("/") ? $0 : nil }
        }
    }
}
