internal import Foundation
internal import Hummingbird
internal import Personalization
internal import Synchronization

extension OneRingService {
    /// `GET /dashboard`: administrators only; a browser may pass its token as `?token=`.
    func addDashboardRoutes(to router: Router<BasicRequestContext>) {
        router.get("/dashboard") { request, _ in
            try await self.authorize(request, .admin, allowQueryToken: true)
            let status = self.engine.status
            let run = self.engine.activeRun
            async let jobs = self.store.jobs(limit: 10)
            async let traces = self.store.generationTraces(limit: 15)
            let page = DashboardPage(
                figures: .init(creators: status.creators, runID: status.cohortRunID,
                               lagSeconds: status.lastSync.map { max(0, Date().timeIntervalSince($0)) },
                               uptimeSeconds: Date().timeIntervalSince(self.startedAt), coalesced: self.engine.coalescedSearches),
                cohorts: run?.cohorts ?? [], mapSVG: await self.cohortMapSVG(runID: run?.record.id),
                jobs: (try? await jobs) ?? [], traces: (try? await traces) ?? [], rates: self.metrics.requestRates()
            )
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: page.html())))
        }
    }

    /// The cohort map of run `runID`, drawn once per run.
    private func cohortMapSVG(runID: Int64?) async -> String? {
        guard let runID else { return nil }
        if let cached = mapCache.withLock({ $0?.runID == runID ? $0?.svg : nil }) { return cached }
        guard let map = try? await CohortMap.build(store: store, parameters: .init(sampleSize: 3_000)) else { return nil }
        let svg = map.svg()
        mapCache.withLock { $0 = (runID, svg) }
        return svg
    }
}
