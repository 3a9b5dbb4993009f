-- wrk script: POST one OpenAI embeddings request per call (body from the environment).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("M2VK_BENCH_BODY")

-- One summary line wrk's stdout ends with, for run.sh to parse.
done = function(summary, latency, requests)
  io.write(string.format("M2VK requests=%d errors=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3))
end
