import Yams

extension Inventory {
    /// The inventory as YAML that ``InventoryLoader`` reads back, under `header` comment lines.
    /// - Throws: `EncodingError` when a value cannot be written (not for a valid inventory).
    public func yamlText(header: [String] = []) throws -> String {
        let body = try YAMLEncoder().encode(self)
        return header.map { "# " + $0 + "\n" }.joined() + body
    }
}
