import NIOConcurrencyHelpers
import NIOCore
import RedisWire

/// Sends maintenance notifications to the subscribed clients of every worker, numbering the
/// events: one event has one id on every connection (clients drop a `MOVING` they saw), and
/// ids increase.
struct NoticeBoard: Sendable {
    let workers: [NIOLoopBound<Worker>]
    private let lastID = NIOLockedValueBox(0)

    init(workers: [NIOLoopBound<Worker>]) {
        self.workers = workers
    }

    /// Pushes `notice` to every subscribed client; returns once every worker has written it.
    func notify(_ notice: MaintenanceNotice) async {
        let id = lastID.withLockedValue { value in
            value += 1
            return value
        }
        for worker in workers {
            try? await worker.eventLoop.submit { worker.value.notify(notice, id: id) }.get()
        }
    }

    /// Announces `MOVING` and closes every client connection `seconds` later.
    func move(to address: ServerAddress?, in seconds: Int) async {
        await notify(.moving(seconds: seconds, address: address))
        for worker in workers {
            worker.eventLoop.scheduleTask(in: .seconds(Int64(seconds))) { worker.value.closeAllClients() }
        }
    }
}
