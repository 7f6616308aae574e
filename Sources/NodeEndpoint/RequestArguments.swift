import NIOCore

/// A command's name and arguments as slices of its bytes, binary-safe, without an array per
/// command: the places of up to three (a `GET`'s or a `SET`'s) are kept inline, longer commands'
/// in an array.
struct RequestArguments: RandomAccessCollection {
    /// The command's bytes.
    let raw: ByteBuffer
    let count: Int
    private let first: (offset: Int32, length: Int32)
    private let second: (offset: Int32, length: Int32)
    private let third: (offset: Int32, length: Int32)
    /// Every argument's place, for commands of more than three.
    private let all: [(offset: Int32, length: Int32)]?

    /// The arguments at `places` of `raw` (offsets from its reader index).
    init(raw: ByteBuffer, places: [(start: Int, length: Int)]) {
        self.raw = raw
        count = places.count
        func place(_ index: Int) -> (Int32, Int32) {
            index < places.count ? (Int32(places[index].start), Int32(places[index].length)) : (0, 0)
        }
        first = place(0)
        second = place(1)
        third = place(2)
        all = places.count > 3 ? places.map { (Int32($0.start), Int32($0.length)) } : nil
    }

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(index: Int) -> ByteBuffer {
        precondition(index >= 0 && index < count, "argument \(index) of \(count)")
        let place = switch index {
        case 0 where all == nil: first
        case 1 where all == nil: second
        case 2 where all == nil: third
        default: all![index]
        }
        return raw.getSlice(at: raw.readerIndex + Int(place.offset), length: Int(place.length))!
    }
}
