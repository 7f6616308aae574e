/// A `Decoder` over one `ConfigNode`; see ``ConfigDecoder``.
struct NodeDecoder: Decoder {
    let node: ConfigNode
    let session: DecodingSession
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        if node.isNull {
            return KeyedDecodingContainer(KeyedNodeContainer(mapping: .emptyMapping(at: node.location), decoder: self))
        }
        guard node.entries != nil else {
            session.record(.typeMismatch, at: node.location, "expected a mapping, found \(node.shapeName)")
            throw DecodingAbandoned()
        }
        return KeyedDecodingContainer(KeyedNodeContainer(mapping: node, decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        if node.isNull { return UnkeyedNodeContainer(items: [], decoder: self) }
        guard case let .sequence(items) = node.kind else {
            session.record(.typeMismatch, at: node.location, "expected a list, found \(node.shapeName)")
            throw DecodingAbandoned()
        }
        return UnkeyedNodeContainer(items: items, decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleNodeContainer(decoder: self) }
}

struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

struct KeyedNodeContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let mapping: ConfigNode
    let decoder: NodeDecoder
    let tracker: DecodingSession.KeyTracker

    init(mapping: ConfigNode, decoder: NodeDecoder) {
        self.mapping = mapping
        self.decoder = decoder
        self.tracker = decoder.session.tracker(for: mapping)
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { (mapping.entries ?? []).compactMap { Key(stringValue: $0.key) } }

    private func value(for key: Key) -> ConfigNode? {
        tracker.asked.insert(key.stringValue)
        return mapping[key.stringValue]
    }

    func contains(_ key: Key) -> Bool { value(for: key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool { value(for: key)?.isNull ?? true }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decode(type as Bool.Type, forKey: key, generic: ()) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decode(type as String.Type, forKey: key, generic: ()) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decode(type as Double.Type, forKey: key, generic: ()) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decode(type as Float.Type, forKey: key, generic: ()) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decode(type as Int.Type, forKey: key, generic: ()) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decode(type as Int8.Type, forKey: key, generic: ()) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decode(type as Int16.Type, forKey: key, generic: ()) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decode(type as Int32.Type, forKey: key, generic: ()) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decode(type as Int64.Type, forKey: key, generic: ()) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decode(type as UInt.Type, forKey: key, generic: ()) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decode(type as UInt8.Type, forKey: key, generic: ()) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decode(type as UInt16.Type, forKey: key, generic: ()) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decode(type as UInt32.Type, forKey: key, generic: ()) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decode(type as UInt64.Type, forKey: key, generic: ()) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decode(type, forKey: key, generic: ())
    }

    private func decode<T: Decodable>(_ type: T.Type, forKey key: Key, generic: Void) throws -> T {
        guard let node = value(for: key) else {
            decoder.session.record(.missingField, at: mapping.location, "missing required key '\(key.stringValue)'")
            do { return try decoder.session.placeholder(type) } catch { tracker.abandoned = true; throw error }
        }
        do {
            return try decoder.session.decodeValue(type, from: node, path: codingPath + [key])
        } catch {
            tracker.abandoned = true
            throw error
        }
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try childDecoder(for: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try childDecoder(for: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder { try childDecoder(for: key) }

    private func childDecoder(for key: Key) throws -> NodeDecoder {
        guard let node = value(for: key) else {
            decoder.session.record(.missingField, at: mapping.location, "missing required key '\(key.stringValue)'")
            tracker.abandoned = true
            throw DecodingAbandoned()
        }
        return NodeDecoder(node: node, session: decoder.session, codingPath: codingPath + [key])
    }
}

struct UnkeyedNodeContainer: UnkeyedDecodingContainer {
    let items: [ConfigNode]
    let decoder: NodeDecoder
    var currentIndex = 0

    init(items: [ConfigNode], decoder: NodeDecoder) {
        self.items = items
        self.decoder = decoder
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next() throws -> (ConfigNode, [any CodingKey]) {
        guard !isAtEnd else { throw DecodingAbandoned() }
        defer { currentIndex += 1 }
        return (items[currentIndex], codingPath + [IndexKey(currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex].isNull else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try decodeAny(type) }
    mutating func decode(_ type: String.Type) throws -> String { try decodeAny(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try decodeAny(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try decodeAny(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try decodeAny(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try decodeAny(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try decodeAny(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try decodeAny(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try decodeAny(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try decodeAny(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try decodeAny(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try decodeAny(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try decodeAny(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try decodeAny(type) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeAny(type) }

    private mutating func decodeAny<T: Decodable>(_ type: T.Type) throws -> T {
        let (node, path) = try next()
        return try decoder.session.decodeValue(type, from: node, path: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (node, path) = try next()
        return try NodeDecoder(node: node, session: decoder.session, codingPath: path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (node, path) = try next()
        return try NodeDecoder(node: node, session: decoder.session, codingPath: path).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (node, path) = try next()
        return NodeDecoder(node: node, session: decoder.session, codingPath: path)
    }
}

struct SingleNodeContainer: SingleValueDecodingContainer {
    let decoder: NodeDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.node.isNull }

    func decode(_ type: Bool.Type) throws -> Bool { try decodeAny(type) }
    func decode(_ type: String.Type) throws -> String { try decodeAny(type) }
    func decode(_ type: Double.Type) throws -> Double { try decodeAny(type) }
    func decode(_ type: Float.Type) throws -> Float { try decodeAny(type) }
    func decode(_ type: Int.Type) throws -> Int { try decodeAny(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decodeAny(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decodeAny(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decodeAny(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decodeAny(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decodeAny(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decodeAny(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decodeAny(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decodeAny(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decodeAny(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeAny(type) }

    private func decodeAny<T: Decodable>(_ type: T.Type) throws -> T {
        try decoder.session.decodeValue(type, from: decoder.node, path: codingPath)
    }
}
