import Dispatch
import Foundation
import MaintenanceKit

/// Turns Ctrl-C (SIGINT) and SIGTERM into a stop request: the action in flight finishes,
/// the cluster is left consistent, and the summary tells where the rollout stopped.
final class InterruptHandler {
    private let sources: [any DispatchSourceSignal]

    init(stop: StopSignal) {
        // A parent may have started us with these signals blocked (Foundation's Process does,
        // from a concurrency thread); unblocked in this thread, the kernel can deliver them here.
        var wanted = sigset_t()
        sigemptyset(&wanted)
        sigaddset(&wanted, SIGINT)
        sigaddset(&wanted, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &wanted, nil)
        // Output to a closed pipe fails instead of killing the process in the middle of an action.
        signal(SIGPIPE, SIG_IGN)
        sources = [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                if stop.isRequested {
                    Output.error("maintctl: already stopping; waiting for the action in flight to finish")
                } else {
                    Output.error("maintctl: stopping after the action in flight (the cluster stays consistent)")
                    stop.request(.requested)
                }
            }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
