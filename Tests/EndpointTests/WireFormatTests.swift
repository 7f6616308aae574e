import NIOCore
@testable import NodeEndpoint
import Testing

/// The endpoint's readers of RESP, fed in every possible split: what arrives in pieces must read
/// as what arrives at once.
@Suite struct WireFormatTests {
    static let replies: [String] = [
        "+OK\r\n", "-ERR unknown command\r\n", ":42\r\n", "$5\r\nhello\r\n", "$-1\r\n", "$0\r\n\r\n",
        "*2\r\n$1\r\na\r\n*1\r\n:1\r\n", "*-1\r\n", "*0\r\n",
        // RESP3: null, double, boolean, big number, blob error, verbatim, map, set, push, attribute.
        "_\r\n", ",3.14\r\n", "#t\r\n", "(12345678901234567890\r\n", "!3\r\nERR\r\n", "=7\r\ntxt:abc\r\n",
        "%2\r\n+a\r\n:1\r\n+b\r\n*2\r\n:1\r\n:2\r\n", "~2\r\n+x\r\n+y\r\n", ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n",
        "|1\r\n+ttl\r\n:3\r\n$2\r\nok\r\n",
    ]

    @Test func aReplyReadsTheSameWhateverPiecesItArrivesIn() throws {
        let stream = Self.replies.joined()
        let bytes = Array(stream.utf8)
        for cut in 0...bytes.count {
            var scanner = ReplyFrameScanner()
            var buffer = ByteBuffer(bytes: bytes[0..<cut])
            var frames: [String] = []
            func drain() throws {
                while let length = try scanner.scan(buffer) {
                    frames.append(buffer.readString(length: length)!)
                }
            }
            try drain()
            buffer.writeBytes(bytes[cut...])
            try drain()
            #expect(frames == Self.replies, "cut at \(cut)")
        }
    }

    @Test func aReplyThatIsNotRESPIsRefused() {
        for garbage in ["?what\r\n", "$abc\r\n", "*x\r\n", "$3\r\nabcdef\r\n"] {
            var scanner = ReplyFrameScanner()
            #expect(throws: (any Error).self, "\(garbage)") { _ = try scanner.scan(ByteBuffer(string: garbage)) }
        }
    }

    @Test func anAggregateSplitsIntoItsElements() throws {
        let elements = try #require(ReplyFrameScanner.elements(of: ByteBuffer(string: "*3\r\n$1\r\na\r\n*1\r\n:1\r\n_\r\n")))
        #expect(elements.map { String(buffer: $0) } == ["$1\r\na\r\n", "*1\r\n:1\r\n", "_\r\n"])
        #expect(ReplyFrameScanner.elements(of: ByteBuffer(string: "$1\r\na\r\n")) == nil)
    }

    static let requests = [
        "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n", "PING\r\n", "\r\n",
        "set \"a b\" 'c d'\n", "*5\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$0\r\n\r\n", "*0\r\n",
    ]

    @Test func aRequestReadsTheSameWhateverPiecesItArrivesIn() throws {
        let bytes = Array(Self.requests.joined().utf8)
        let expected: [[String]] = [["GET", "k"], ["SET", "k", "a\r\nb"], ["PING"], ["set", "a b", "c d"], ["MGET", "a", "b", "c", ""]]
        for cut in 0...bytes.count {
            var decoder = RequestDecoder(limits: .init())
            var buffer = ByteBuffer(bytes: bytes[0..<cut])
            var commands: [[String]] = []
            func drain() throws {
                while let request = try decoder.next(from: &buffer, allocator: ByteBufferAllocator()) {
                    commands.append(request.arguments.map { String(buffer: $0) })
                    // What goes to the server is RESP, whatever the client sent.
                    #expect(ClientRequest(raw: request.raw).arguments.map { String(buffer: $0) } == commands.last!)
                }
                // The session keeps only what is left, as it does between reads.
                buffer.discardReadBytes()
            }
            try drain()
            buffer.writeBytes(bytes[cut...])
            try drain()
            #expect(commands == expected, "cut at \(cut)")
        }
    }

    @Test(arguments: [
        ("*abc\r\n", "Protocol error: invalid multibulk length"),
        ("*1\r\n$x\r\n", "Protocol error: invalid bulk length"),
        ("*1\r\n$600000000\r\n", "Protocol error: invalid bulk length"),
        ("*1\r\n:1\r\n", "Protocol error: expected '$', got ':'"),
        ("*1\r\n$1\r\nab\r\n", "Protocol error: bulk string not terminated by CRLF"),
        ("set \"a\n", "Protocol error: unbalanced quotes in request"),
    ])
    func aRequestThatIsNotACommandGetsRedisWords(input: String, message: String) {
        var decoder = RequestDecoder(limits: .init())
        var buffer = ByteBuffer(string: input)
        #expect {
            _ = try decoder.next(from: &buffer, allocator: ByteBufferAllocator())
        } throws: { error in
            (error as? RequestError)?.message == message
        }
    }

    @Test func anErrorReplyIsOneLineWhateverItQuotes() {
        // An unknown command's error quotes the client's arguments, which may hold a CRLF.
        let request = ClientRequest(arguments: [ByteBuffer(string: "NOPE"), ByteBuffer(string: "a\r\nb\nc")], allocator: ByteBufferAllocator())
        let reply = String(buffer: LocalReply.error(CommandRoute.unknownCommand(request), allocator: ByteBufferAllocator()))
        #expect(reply == "-ERR unknown command 'NOPE', with args beginning with: 'a b c' \r\n")
    }

    @Test func commandNamesCompareWithoutCase() {
        #expect(CommandName(ByteBuffer(string: "get")) == "GET")
        #expect(CommandName(ByteBuffer(string: "GeoRadiusByMember_RO")).description == "GEORADIUSBYMEMBER_RO")
        #expect(CommandName("GEORADIUSBYMEMBER") != CommandName("GEORADIUSBYMEMBER_RO"))
        #expect(CommandName("") != CommandName("A"))
    }
}
