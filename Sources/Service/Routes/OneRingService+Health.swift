internal import Foundation
internal import Hummingbird
internal import Personalization
internal import ProfileStore

extension OneRingService {
    /// `/healthz`, `/readyz`, `/metrics` and `/openapi.json`: open to anyone.
    func addHealthRoutes(to router: some RouterMethods<OneRingRequestContext>) {
        router.on("/healthz", .get, in: self.routes) { _, _ in
            try Self.json(["status": "ok"])
        }
        router.on("/readyz", .get, in: self.routes) { _, _ in
            try await self.readiness()
        }
        router.on("/metrics", .get, in: self.routes) { _, _ in
            await self.refreshGauges()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: self.metrics.exposition())))
        }
        router.on("/openapi.json", .get, in: self.routes) { _, _ in
            guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
                throw ServiceError(.internalError, .internalServerError, "the OpenAPI document is not packaged")
            }
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    /// What `/readyz` answers when ready.
    struct Readiness: Encodable {
        var status = "ready"
        var schemaVersion: Int
        var creators: Int
        var cohortRunID: Int64?
        var lastSync: Date?
    }

    /// Ready when the database answers and the index holds creators; 503 otherwise.
    private func readiness() async throws(ServiceError) -> Response {
        let version: Int
        do { version = try await store.schemaVersion() } catch {
            throw ServiceError(.unavailable, .serviceUnavailable, "the database is not reachable: \(error.message)", retryAfterSeconds: 5)
        }
        let status = engine.status
        guard status.creators > 0 else {
            throw ServiceError(.unavailable, .serviceUnavailable, "the index holds no creator yet: import and embed profiles", retryAfterSeconds: 5)
        }
        return try Self.json(Readiness(schemaVersion: version, creators: status.creators, cohortRunID: status.cohortRunID, lastSync: status.lastSync))
    }

    /// Sets the gauges that are read, not counted: index size, change-feed lag, coalescing, jobs.
    func refreshGauges() async {
        let status = engine.status
        metrics.set("onering_index_creators", Double(status.creators))
        metrics.set("onering_cohorts", Double(status.cohorts))
        metrics.set("onering_change_feed_lag_seconds", status.lastSync.map { max(0, Date().timeIntervalSince($0)) } ?? -1)
        metrics.set("onering_change_feed_rejected_rows", Double(status.rejectedRows))
        let coalesced = engine.coalescedSearches
        metrics.set("onering_coalesced_searches", Double(coalesced.searches))
        metrics.set("onering_coalesced_batches", Double(coalesced.batches))
        let cache = engine.contextCacheStatistics
        metrics.set("onering_context_cache_hits", Double(cache.hits))
        metrics.set("onering_context_cache_misses", Double(cache.misses))
        metrics.set("onering_context_cache_entries", Double(cache.entries))
        metrics.set("onering_context_cache_bytes", Double(cache.bytes))
        metrics.set("onering_context_cache_generation", Double(cache.generation))
        if let counts = try? await store.jobCounts() {
            for (status, count) in counts { metrics.set("onering_jobs", Double(count), dimensions: [("status", status.rawValue)]) }
        }
    }
}
