import NIOCore
@testable import NodeEndpoint
import Testing
import RedisWire

/// The bytes of each maintenance notification: what redis-py 8 parses (`_parsers/base.py`),
/// integers for ids and times, a RESP3 null for a `MOVING` without address.
@Suite struct MaintenanceNoticeTests {
    @Test(arguments: [
        (MaintenanceNotice.failingOver(seconds: 5), MovingEndpointType.internalIP, ">3\r\n$12\r\nFAILING_OVER\r\n:7\r\n:5\r\n"),
        (.failedOver, .internalIP, ">2\r\n$11\r\nFAILED_OVER\r\n:7\r\n"),
        (.migrating(seconds: 2), .internalIP, ">3\r\n$9\r\nMIGRATING\r\n:7\r\n:2\r\n"),
        (.migrated, .internalIP, ">2\r\n$8\r\nMIGRATED\r\n:7\r\n"),
        (.moving(seconds: 15, address: ServerAddress(host: "127.0.0.1", port: 6380)), .internalIP,
         ">4\r\n$6\r\nMOVING\r\n:7\r\n:15\r\n$14\r\n127.0.0.1:6380\r\n"),
        (.moving(seconds: 15, address: ServerAddress(host: "127.0.0.1", port: 6380)), MovingEndpointType.none, ">4\r\n$6\r\nMOVING\r\n:7\r\n:15\r\n_\r\n"),
        (.moving(seconds: 15, address: nil), .internalIP, ">4\r\n$6\r\nMOVING\r\n:7\r\n:15\r\n_\r\n"),
    ])
    func aNoticeIsThePushClientsParse(notice: MaintenanceNotice, type: MovingEndpointType, bytes: String) {
        let frame = notice.frame(id: 7, endpointType: type, allocator: ByteBufferAllocator())
        #expect(String(buffer: frame) == bytes)
    }
}
