/// Asking many servers at once: a cache's servers answer in parallel, each over its own
/// connection, so a question to all of them costs about one round trip, not one per server.
enum Concurrently {
    /// `body` applied to every element at once; the results in the elements' order.
    static func map<Element: Sendable, Result: Sendable>(_ elements: [Element],
                                                         _ body: @escaping @Sendable (Element) async -> Result) async -> [Result] {
        await withTaskGroup(of: (Int, Result).self) { group in
            for (index, element) in elements.enumerated() {
                group.addTask { (index, await body(element)) }
            }
            var results = [Result?](repeating: nil, count: elements.count)
            for await (index, result) in group { results[index] = result }
            return results.compactMap { $0 }
        }
    }

    /// Whether `condition` holds for every element, all asked at once.
    static func all<Element: Sendable>(_ elements: [Element], _ condition: @escaping @Sendable (Element) async -> Bool) async -> Bool {
        await map(elements, condition).allSatisfy { $0 }
    }
}
