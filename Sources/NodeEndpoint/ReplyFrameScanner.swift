import NIOCore

/// Finds where one reply (RESP2 or RESP3) ends, without decoding it.
///
/// The scan resumes where it stopped when a reply arrives in pieces, so a large array costs
/// one pass however many reads it takes.
struct ReplyFrameScanner {
    /// How deeply aggregates may nest in a server's reply.
    static let maximumDepth = 64

    /// Where the scan of the current reply resumes, from the reader index.
    private var cursor = 0
    /// Elements still to come in each open aggregate, innermost last.
    private var open: [Int] = []

    /// The length of the complete reply at the reader index, nil while it is incomplete.
    /// Starts over once a reply is complete.
    mutating func scan(_ buffer: ByteBuffer) throws -> Int? {
        let length = try scanOnce(buffer)
        if length != nil {
            cursor = 0
            open.removeAll(keepingCapacity: true)
        }
        return length
    }

    private mutating func scanOnce(_ buffer: ByteBuffer) throws -> Int? {
        try buffer.withUnsafeReadableBytes { bytes throws -> Int? in
            while true {
                guard cursor < bytes.count else { return nil }
                guard let lineEnd = Self.lineEnd(bytes, from: cursor + 1) else { return nil }
                let type = bytes[cursor]
                switch type {
                case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "_"), UInt8(ascii: ","),
                     UInt8(ascii: "#"), UInt8(ascii: "("):
                    cursor = lineEnd + 2
                case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
                    let length = try Self.number(bytes, cursor + 1, lineEnd)
                    if length < 0 {
                        cursor = lineEnd + 2
                    } else {
                        let end = lineEnd + 2 + length
                        guard end + 2 <= bytes.count else { return nil }
                        guard bytes[end] == 13, bytes[end + 1] == 10 else { throw ReplyFrameError.unterminatedBulk }
                        cursor = end + 2
                    }
                case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "|"):
                    let count = try Self.number(bytes, cursor + 1, lineEnd)
                    cursor = lineEnd + 2
                    let elements = switch type {
                    case UInt8(ascii: "%"): count * 2
                    // An attribute map comes before the value it describes.
                    case UInt8(ascii: "|"): count * 2 + 1
                    default: count
                    }
                    if elements > 0 {
                        guard open.count < Self.maximumDepth else { throw ReplyFrameError.tooDeep }
                        open.append(elements)
                        continue
                    }
                default:
                    throw ReplyFrameError.unknownType(type)
                }
                // One element is complete: close every aggregate it completes.
                while let last = open.last {
                    if last > 1 {
                        open[open.count - 1] = last - 1
                        break
                    }
                    open.removeLast()
                }
                if open.isEmpty { return cursor }
            }
        }
    }

    /// The elements of the aggregate reply `frame` (an array, set or push; a map's keys and
    /// values in turn), each a slice of it; nil when `frame` is not an aggregate or is null.
    static func elements(of frame: ByteBuffer) -> [ByteBuffer]? {
        var reader = frame
        guard let type = reader.readInteger(as: UInt8.self),
              [UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%")].contains(type),
              let end = reader.readableBytesView.firstIndex(of: 13),
              let count = reader.getString(at: reader.readerIndex, length: end - reader.readerIndex).flatMap({ Int($0) }),
              count >= 0 else { return nil }
        reader.moveReaderIndex(to: end + 2)
        let total = type == UInt8(ascii: "%") ? count * 2 : count
        var elements: [ByteBuffer] = []
        elements.reserveCapacity(total)
        for _ in 0..<total {
            var scanner = ReplyFrameScanner()
            guard let length = try? scanner.scan(reader), let element = reader.readSlice(length: length) else { return nil }
            elements.append(element)
        }
        return elements
    }

    /// The integer of a `:N` reply.
    static func integer(of frame: ByteBuffer) -> Int? {
        guard frame.readableBytesView.first == UInt8(ascii: ":") else { return nil }
        return frame.getString(at: frame.readerIndex + 1, length: frame.readableBytes - 3).flatMap { Int($0) }
    }

    /// Whether `frame` is an error reply (`-` or RESP3's `!`).
    static func isError(_ frame: ByteBuffer) -> Bool {
        let first = frame.readableBytesView.first
        return first == UInt8(ascii: "-") || first == UInt8(ascii: "!")
    }

    /// The index of the CR of the next CRLF at or after `start`.
    private static func lineEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == 13, bytes[index + 1] == 10 { return index }
            index += 1
        }
        return nil
    }

    /// The decimal number in `bytes[start..<end]` (a leading minus allowed).
    static func number(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) throws(ReplyFrameError) -> Int {
        var index = start
        var negative = false
        if index < end, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        guard index < end, end - index <= 18 else { throw .badLength }
        var value = 0
        while index < end {
            let digit = Int(bytes[index]) - 48
            guard (0...9).contains(digit) else { throw .badLength }
            value = value * 10 + digit
            index += 1
        }
        return negative ? -value : value
    }
}

/// A server's reply that is not RESP: the endpoint closes that server connection.
enum ReplyFrameError: Error {
    case unterminatedBulk
    case badLength
    case tooDeep
    case unknownType(UInt8)
}
