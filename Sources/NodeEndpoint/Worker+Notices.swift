import NIOCore

/// Maintenance notifications to the clients of one worker that asked for them.
extension Worker {
    /// `session` gets notifications from now on (and the `MOVING` already announced).
    func subscribeToNotices(_ session: ClientSession) {
        noticeSubscribers[session.id] = session
        if let moving { push(moving.notice, id: moving.id, to: session) }
    }

    func unsubscribeFromNotices(_ session: ClientSession) {
        noticeSubscribers[session.id] = nil
    }

    /// Pushes `notice` to every subscribed client; one event has one `id` on every connection.
    func notify(_ notice: MaintenanceNotice, id: Int) {
        if case .moving = notice { moving = (notice, id) }
        for session in noticeSubscribers.values { push(notice, id: id, to: session) }
    }

    /// Closes every client connection once the replies it waits for are written: the end of a
    /// `MOVING` grace.
    func closeAllClients() {
        for session in sessions.values { session.closeAfterReplies() }
    }

    private func push(_ notice: MaintenanceNotice, id: Int, to session: ClientSession) {
        session.push(notice.frame(id: id, endpointType: session.noticeEndpointType ?? .internalIP, allocator: allocator))
    }
}
