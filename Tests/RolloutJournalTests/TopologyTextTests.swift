import MaintenanceKit
@testable import RolloutJournal
import Testing

/// The compact topology records the journal keeps after every action.
@Suite struct TopologyTextTests {
    @Test func aTopologyComesBackAsItWasWritten() throws {
        let topology = CacheTopology(
            id: "c:1,%", placement: Placement(resourceGroup: "rg\tx", region: "-"), leader: nil, minReplicas: 2,
            nodes: [NodeState(id: "n1", version: "7.2.4", capacity: Capacity(memoryMB: 16384.5, cpus: 0.1), lifecycle: .draining),
                    NodeState(id: "n-2", version: "7,2", capacity: Capacity(memoryMB: 1, cpus: 8), lifecycle: .deleted),
                    NodeState(id: "nœud", version: "x\ny", capacity: Capacity(memoryMB: 3, cpus: 2))],
            shards: [ShardState(id: "s1", sizeMB: 1.25, copies: [ShardCopy(node: "n1", role: .primary),
                                                                   ShardCopy(node: "n-2", role: .replica, inSync: false)]),
                     ShardState(id: "s:2", sizeMB: 0, copies: [])])
        #expect(try TopologyText.decode(TopologyText.encode(topology)) == topology)
    }

    @Test func aDamagedRecordIsAnError() {
        for text in ["", "cache\tc", "node\tn1\t1\tactive\t1\t1\n", "cache\tc\trg\tr\t-\t1\nshard\ts\tx\tn:p:1\n",
                     "cache\tc\trg\tr\t-\t1\nnode\tn\t1\tgone\t1\t1\n"] {
            #expect(throws: TopologyText.Malformed.self) { try TopologyText.decode(text) }
        }
    }
}
