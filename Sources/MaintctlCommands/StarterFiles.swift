/// What `maintctl init` writes besides the schemas: a playbook and the inventory it names, valid
/// as they stand.
enum StarterFiles {
    static let all: [(name: String, text: String)] = [("playbook.yaml", playbook), ("inventory.yaml", inventory)]

    static let playbook = """
        # yaml-language-server: $schema=playbook.schema.json
        # A rolling patch (maintctl plugins lists every step and its parameters):
        # new VMs at the target version, leadership moved to one of them, then each old node
        # drained one at a time (full sync before each planned failover), then the old VMs deleted.
        name: rolling-patch
        description: Replace every node of the cache with a VM at the target version, without downtime.
        inventory: inventory.yaml

        policy:
          max_parallel_caches: 1
          one_cache_at_a_time_per: resource_group_and_region
          on_failure: stop_all
          on_unplanned_failure: pause

        variables:
          target_version: "7.2.5"

        steps:
          - step: create_vms
            with:
              version: ${target_version}
            retries: 2
          - step: elect_leader
          - for_each: old_node
            steps:
              - step: drain_node
              - step: migrate_shards
                with:
                  order: replicas_first
                retries: 1
              - step: remove_node
          - step: delete_vms

        """

    static let inventory = """
        # yaml-language-server: $schema=inventory.schema.json
        # One cache of 3 nodes, each holding one shard's primary and another shard's replica.
        # For real servers: maintctl cluster up inventory.yaml --backend process --state DIR
        caches:
          - id: cache-1
            resource_group: rg-1
            region: region-1
            leader: node-1
            min_replicas: 1
            nodes:
              - { id: node-1, version: "7.0.15", capacity: { memory_mb: 1024, cpus: 2 } }
              - { id: node-2, version: "7.0.15", capacity: { memory_mb: 1024, cpus: 2 } }
              - { id: node-3, version: "7.0.15", capacity: { memory_mb: 1024, cpus: 2 } }
            shards:
              - { id: s1, primary: node-1, replicas: [node-2], size_mb: 64 }
              - { id: s2, primary: node-2, replicas: [node-3], size_mb: 64 }
              - { id: s3, primary: node-3, replicas: [node-1], size_mb: 64 }

        """
}
