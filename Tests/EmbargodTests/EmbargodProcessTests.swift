import Testing

/// Every test that runs embargod (or journald, dpkg, systemd-analyze) as processes, one suite at a
/// time: they measure latencies and instants, which a machine busy with parallel scans would blur.
@Suite("embargod as a process", .serialized)
struct EmbargodProcessTests {}
