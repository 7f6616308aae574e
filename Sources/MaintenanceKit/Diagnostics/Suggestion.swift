/// "Did you mean …?" for a misspelled key, step kind or identifier.
public enum Suggestion {
    /// The candidate closest to `word`, if it is close enough to be a plausible typo.
    /// - Parameters:
    ///   - word: What the user wrote.
    ///   - candidates: The names that would have been valid.
    public static func closest(to word: String, among candidates: some Sequence<String>) -> String? {
        // Names are short; a long word is no typo of one, and comparing it would be slow.
        guard word.count <= 64 else { return nil }
        let lowered = word.lowercased()
        var best: (name: String, distance: Int)?
        for candidate in candidates where candidate.count <= 64 && abs(candidate.count - word.count) <= max(2, word.count / 3) {
            let distance = editDistance(lowered, candidate.lowercased())
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        guard let best else { return nil }
        let allowed = max(2, min(word.count, best.name.count) / 3)
        return best.distance <= allowed ? best.name : nil
    }

    /// `; did you mean 'x'?` or an empty string.
    public static func didYouMean(_ word: String, among candidates: some Sequence<String>) -> String {
        closest(to: word, among: candidates).map { "; did you mean '\($0.forMessage)'?" } ?? ""
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
