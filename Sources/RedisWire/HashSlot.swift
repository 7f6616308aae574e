/// Redis Cluster's key → hash slot mapping: CRC16 (XMODEM) of the key, or of its `{hash tag}`, mod 16384.
public enum HashSlot {
    /// The number of slots in a Redis Cluster.
    public static let count = 16384

    /// The slot of `key`.
    public static func slot(of key: String) -> Int {
        Array(key.utf8).withUnsafeBytes { slot(ofKey: $0) }
    }

    /// The slot of the key in `bytes`, binary-safe: the CRC16 of its first non-empty `{hash tag}`,
    /// else of the whole key.
    public static func slot(ofKey bytes: UnsafeRawBufferPointer) -> Int {
        var start = 0
        var end = bytes.count
        if let open = bytes.firstIndex(of: UInt8(ascii: "{")),
           let close = bytes[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1 {
            start = open + 1
            end = close
        }
        var crc: UInt16 = 0
        for index in start..<end {
            crc = (crc << 8) ^ table[Int((crc >> 8) ^ UInt16(bytes[index]))]
        }
        return Int(crc & UInt16(count - 1))
    }

    /// CRC16-XMODEM (polynomial 0x1021) by byte.
    private static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        return crc
    }
}
