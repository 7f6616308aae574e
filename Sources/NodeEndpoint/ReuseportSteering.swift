import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Sends every new connection of a shared address (`SO_REUSEPORT`) to the listener that joined
/// it second: the successor that took the address over from a leaving node's endpoint.
///
/// Without it the kernel spreads new connections over both listeners by hash, and those still
/// waiting in the leaving listener's accept queue when it closes are reset (seen: a client's
/// `ECONNRESET` during a hand-over). With it, the leaving listener gets no new connection once
/// its successor listens, accepts what it had queued, and closes with nothing pending. The
/// program (classic BPF, `ret #1`: the group's second socket) belongs to the address's group;
/// once the leaving listener is gone the index is out of range and the kernel picks by hash
/// among what is left. Linux only; elsewhere a no-op.
enum ReuseportSteering {
    /// Attaches the program through `listener`, which must be the group's second socket.
    /// - Throws: When the system refuses the program.
    static func steerNewConnections(toSecondListenerOf listener: any Channel) async throws {
        #if os(Linux)
        guard let options = listener as? any SocketOptionProvider else { return }
        let instructions = UnsafeMutablePointer<Instruction>.allocate(capacity: 1)
        // BPF_RET | BPF_K: return the constant, the index of the socket in the group.
        instructions.initialize(to: Instruction(code: 0x06, jt: 0, jf: 0, k: 1))
        defer { instructions.deallocate() }
        // The kernel copies the program during the call, which is awaited here.
        try await options.unsafeSetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_ATTACH_REUSEPORT_CBPF),
                                                value: Program(length: 1, instructions: UInt(bitPattern: instructions))).get()
        #endif
    }

    /// `struct sock_filter`.
    private struct Instruction {
        var code: UInt16
        var jt: UInt8
        var jf: UInt8
        var k: UInt32
    }

    /// `struct sock_fprog`, its pointer held as the address it is (same size and place), which
    /// the kernel reads only during the `setsockopt` call it is given to.
    private struct Program: Sendable {
        var length: UInt16
        var instructions: UInt
    }
}
