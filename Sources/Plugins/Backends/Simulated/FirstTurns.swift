import MaintenanceKit
import Synchronization

/// The order of each opened branch's first turn, from its opening until it starts.
final class FirstTurns: Sendable {
    private let orders = Mutex<[ClockBranch: UInt64]>([:])

    func record(_ branch: ClockBranch, _ order: UInt64) {
        orders.withLock { $0[branch] = order }
    }

    func take(_ branch: ClockBranch) -> UInt64? {
        orders.withLock { $0.removeValue(forKey: branch) }
    }
}
