import MaintenanceKit
import Testing

/// How the live progress line words a full sync under way.
@Suite struct SyncProgressTests {
    @Test(arguments: [
        (SyncProgress(shard: "s1", node: "n2", receivedBytes: 47_185_920, totalBytes: 104_857_600), "sync s1 → n2 45% of 100.0 MB"),
        (SyncProgress(shard: "s1", node: "n2", receivedBytes: 25_165_824, totalBytes: -1), "sync s1 → n2 24.0 MB received"),
        (SyncProgress(shard: "s1", node: "n2", receivedBytes: 0, totalBytes: -1), "sync s1 → n2 loading"),
        (SyncProgress(shard: "s1", node: "n2", bytesBehind: 1_258_291), "sync s1 → n2 1.2 MB behind"),
        (SyncProgress(shard: "s1", node: "n2", bytesBehind: 0), "sync s1 → n2 caught up"),
    ])
    func aSyncIsSaidAsFarAsItIsKnown(progress: SyncProgress, text: String) {
        #expect(progress.description == text)
    }
}
