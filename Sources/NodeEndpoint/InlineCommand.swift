/// The words of an inline command, as Redis splits them (`sdssplitargs`): spaces separate words,
/// and "double" or 'single' quotes keep spaces, with escapes inside double quotes.
enum InlineCommand {
    static func split(_ line: [UInt8]) throws(RequestError) -> [[UInt8]] {
        var words: [[UInt8]] = []
        var index = 0
        func isSpace(_ byte: UInt8) -> Bool { byte == 32 || byte == 9 || byte == 10 || byte == 13 || byte == 11 || byte == 12 }
        while true {
            while index < line.count, isSpace(line[index]) { index += 1 }
            guard index < line.count else { return words }
            var word: [UInt8] = []
            var quote: UInt8?
            while index < line.count {
                let byte = line[index]
                if let open = quote {
                    if open == 34, byte == 92, index + 1 < line.count {
                        index += 1
                        word.append(escaped(line[index]))
                    } else if open == 39, byte == 92, index + 1 < line.count, line[index + 1] == 39 {
                        index += 1
                        word.append(39)
                    } else if byte == open {
                        // A closing quote must be followed by a space or the end.
                        guard index + 1 == line.count || isSpace(line[index + 1]) else {
                            throw RequestError("Protocol error: unbalanced quotes in request")
                        }
                        quote = nil
                        index += 1
                        break
                    } else {
                        word.append(byte)
                    }
                } else if isSpace(byte) {
                    break
                } else if (byte == 34 || byte == 39), word.isEmpty {
                    quote = byte
                } else {
                    word.append(byte)
                }
                index += 1
            }
            guard quote == nil else { throw RequestError("Protocol error: unbalanced quotes in request") }
            words.append(word)
        }
    }

    private static func escaped(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "n"): 10
        case UInt8(ascii: "r"): 13
        case UInt8(ascii: "t"): 9
        case UInt8(ascii: "b"): 8
        case UInt8(ascii: "a"): 7
        default: byte
        }
    }
}
