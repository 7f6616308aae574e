/// Fault injection and unplanned failures during one cache's rollout.
extension RolloutRuntime {
    /// The faults of one cache and the backend its plugins act through: the rollout's backend,
    /// wrapped so that faults due after an operation are injected there.
    struct CacheFaults: Sendable {
        let schedule: FaultSchedule?
        let backend: any Backend
    }

    func faults(of cache: String, clock: any RolloutClock) -> CacheFaults {
        let scheduled = faults[cache] ?? []
        guard !scheduled.isEmpty || observesOperations else { return CacheFaults(schedule: nil, backend: backend) }
        let schedule = FaultSchedule(scheduled)
        let wrapped = OperationBoundaryBackend(base: backend) { name in
            let (position, due) = schedule.operationDone(now: clock.now)
            if observesOperations, let position {
                reporter.report(.operationFinished(cache: cache, position, name: name, at: clock.now))
            }
            await inject(due, into: schedule, in: cache, clock: clock)
        }
        return CacheFaults(schedule: schedule, backend: wrapped)
    }

    /// Faults with a fixed time happen on time, between operations or not: the work that
    /// injects them, to run as a branch beside the cache's actions; nil when there is none.
    func timedFaults(of schedule: FaultSchedule?, cache: String, clock: any RolloutClock) -> (@Sendable () async -> Void)? {
        guard let schedule else { return nil }
        let timed = schedule.timed.sorted { lhs, rhs in
            if case let .at(a) = lhs.trigger, case let .at(b) = rhs.trigger { return a < b }
            return false
        }
        guard !timed.isEmpty else { return nil }
        return {
            for fault in timed {
                guard case let .at(moment) = fault.trigger else { continue }
                if moment > clock.now { try? await clock.sleep(for: moment - clock.now) }
                if Task.isCancelled { return }
                if schedule.claim(fault) { await inject([fault], into: schedule, in: cache, clock: clock) }
            }
        }
    }

    /// Injects `due` faults through the backend and reports each, with the failures the
    /// backend noticed because of it (kept in `schedule` for the action in flight).
    func inject(_ due: [ScheduledFault], into schedule: FaultSchedule, in cache: String, clock: any RolloutClock) async {
        for fault in due {
            guard let injector = backend as? any FaultInjecting else {
                reporter.report(.faultNotInjected(cache: cache, fault: fault, reason: "the backend cannot inject faults", at: clock.now))
                continue
            }
            do {
                let node = try await injector.inject(fault.fault, in: cache)
                reporter.report(.faultInjected(cache: cache, fault: fault, node: node, at: clock.now))
                schedule.note(await collectUnplannedFailures(in: cache, clock: clock))
            } catch {
                reporter.report(.faultNotInjected(cache: cache, fault: fault, reason: "\(error)", at: clock.now))
            }
        }
    }

    /// The unplanned failures the backend noticed in `cache` since it was last asked, reported
    /// as they are collected.
    func collectUnplannedFailures(in cache: String, clock: any RolloutClock) async -> [UnplannedFailure] {
        guard let detecting = failureDetector else { return [] }
        do {
            let failures = try await detecting.unplannedFailures(in: cache)
            for failure in failures { reporter.report(.unplannedFailure(cache: cache, failure, at: clock.now)) }
            return failures
        } catch {
            logger.warning("could not ask the backend about failures in \(cache): \(error)")
            return []
        }
    }
}
