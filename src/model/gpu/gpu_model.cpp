// The GPU forward pass: layer order and buffer use (see m2vk/gpu/gpu_model.hpp). Layer maths is in
// the ops (src/ops); this file only decides what runs where and when to submit.
#include "m2vk/gpu/gpu_model.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "device_weights.hpp"
#include "filter_spectra.hpp"
#include "m2vk/gpu/activation_plan.hpp"
#include "m2vk/gpu/device_choice.hpp"
#include "m2vk/gpu/pipeline_plan.hpp"
#include "m2vk/gpu/spectrum_budget.hpp"
#include "m2vk/host/host.hpp"
#include "m2vk/model.hpp"
#include "m2vk/ops/activation.hpp"
#include "m2vk/ops/copy_view.hpp"
#include "m2vk/ops/fft_conv.hpp"
#include "m2vk/ops/gemm.hpp"
#include "m2vk/ops/hyena_filter.hpp"
#include "m2vk/ops/layer_norm.hpp"
#include "m2vk/ops/mul_add.hpp"
#include "m2vk/ops/pooling.hpp"

namespace m2vk::gpu {

using ops::MatrixView;
using u32 = std::uint32_t;
using u64 = std::uint64_t;

void add_timings(GpuProfile& profile, const std::vector<std::pair<std::string, double>>& timings) {
  for (const auto& [name, ms] : timings) {
    auto it = std::find_if(profile.ops.begin(), profile.ops.end(), [&](const OpTime& o) { return o.op == name; });
    if (it == profile.ops.end()) {
      profile.ops.push_back({name, 0.0, 0});
      it = profile.ops.end() - 1;
    }
    it->ms += ms;
    it->count += 1;
    profile.total_ms += ms;
  }
  std::stable_sort(profile.ops.begin(), profile.ops.end(), [](const OpTime& a, const OpTime& b) { return a.ms > b.ms; });
}

void add_stage_time(std::vector<StageTime>& stages, const std::string& stage, double ms) {
  auto it = std::find_if(stages.begin(), stages.end(), [&](const StageTime& s) { return s.stage == stage; });
  if (it == stages.end()) {
    stages.push_back({stage, 0.0, 0});
    it = stages.end() - 1;
  }
  it->ms += ms;
  it->count += 1;
}

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// Splits a pass's wall time into exclusive stages: lap(stage) gives the time since the previous
// lap to `stage`, less the pipeline creation inside it, which goes to "pipeline creation".
class StageClock {
 public:
  StageClock(const host::Context& ctx, GpuProfile* profile) : ctx_(ctx), profile_(profile) {}
  void lap(const char* stage) {
    if (!profile_) return;
    const auto now = Clock::now();
    const double created = ctx_.pipeline_creation().seconds * 1e3;
    const double ms = std::chrono::duration<double, std::milli>(now - last_).count();
    add_stage_time(profile_->stages, stage, ms - (created - created_));
    if (created > created_) add_stage_time(profile_->stages, "pipeline creation", created - created_);
    last_ = now;
    created_ = created;
  }

 private:
  const host::Context& ctx_;
  GpuProfile* profile_;
  Clock::time_point last_ = Clock::now();
  double created_ = ctx_.pipeline_creation().seconds * 1e3;
};

// A device buffer that grows to the largest size asked for and is then reused.
struct Slot {
  host::Buffer buf;
  host::BufferRange get(host::Context& ctx, u64 bytes) {
    bytes = std::max<u64>(bytes, 16);
    if (!buf || buf.size() < bytes) {
      buf.reset();
      buf = ctx.create_buffer(bytes);
    }
    return buf.slice(0, bytes);
  }
  u64 size() const { return buf ? buf.size() : 0; }
};

// The spectra one layer's long convolutions use.
struct LayerSpectra {
  std::shared_ptr<const ops::FilterSpectrum> s1, s2;
};

}  // namespace

struct GpuModel::Impl {
  const ModelConfig& cfg;
  GpuOptions options;
  DeviceChoice choice;
  std::unique_ptr<host::Context> ctx;
  std::unique_ptr<DeviceWeights> dw;
  std::unique_ptr<FftBackendChooser> fft_chooser;  // before fft, which calls it
  std::unique_ptr<GemmChooser> gemm_chooser;
  std::unique_ptr<ops::FftConv> fft;
  ops::Precision precision = ops::Precision::FP32;  // resolved GpuOptions::gemm_precision
  std::string precision_fallback;                   // why FP16CoopMat was not used
  // Fast path.
  Slot inputs, h, p, x1v, x2, a, o, glu, pooled_in, pooled, logits;
  // Extra buffers of the intermediate-producing path.
  Slot dq, lc, rlc, ycm, dm, dg, da, dout;
  u64 peak = 0;
  std::vector<StageTime> load_stages;
  std::string budget_reason;
  std::unique_ptr<SpectrumStore> store;  // spectra on disk between processes; null when off
  std::string store_reason;
  GpuProfile* profile = nullptr;  // forward()'s, while it runs: the filter submits' GPU times go there too

  Impl(const ModelConfig& c, const GpuOptions& opt) : cfg(c), options(opt) {}

  u64 activation_bytes() const {
    u64 s = 0;
    for (const Slot* sl : {&inputs, &h, &p, &x1v, &x2, &a, &o, &glu, &pooled_in, &pooled, &logits, &dq, &lc, &rlc,
                           &ycm, &dm, &dg, &da, &dout})
      s += sl->size();
    return s;
  }

  // Evaluates filter `f` at length L on the device into `area` (or a temporary buffer when
  // `area` is too small) and records what `use` needs with the values in place (one submit):
  // kf at offset 0, kr after it for bidirectional filters, each token-major (L, H), the MLP
  // scratch after.
  template <typename Use>
  void with_filter(const DeviceFilter& f, u32 L, const host::BufferRange& area, Use&& use) {
    const u64 bytes = filter_area_bytes(f.tables, L, f.rev.has_value());
    host::Buffer tmp;
    host::BufferRange dst = area;
    if (dst.size < bytes) {
      tmp = ctx->create_buffer(bytes);
      dst = tmp.range();
    }
    host::RecordOptions ro;
    ro.profile = profile != nullptr;
    host::CommandRecorder rec = ctx->record(ro);
    const ops::FilterInput in = record_filter_planes(*ctx, rec, f.tables, f.fwd, f.rev ? &*f.rev : nullptr,
                                                     static_cast<float>(cfg.hyena_w_mod), L, dst);
    use(rec, in);
    rec.submit_and_wait();  // before `area` is reused (next filter, or the layer itself)
    if (profile) {
      std::vector<std::pair<std::string, double>> t;
      for (const auto& d : rec.timings()) t.emplace_back("filter: " + d.name, d.ms);
      add_timings(*profile, t);  // not counted in profile->submits: those are the layers' submits
    }
  }

  // Spectra of layer i at length L, computing missing ones in one extra submit per filter: the
  // implicit filter runs on the device into `area` (the p buffer, idle between layers), then
  // the FFT op transforms it.
  // Each spectrum is built from the filter at spectrum_filter_length (filter_spectra.hpp), so a
  // cached one serves every later length of its FFT size (batches padded to their longest row, a
  // server's varying batches). Built the same way when spectra are not cached, so results do not
  // depend on the spectrum budget.
  LayerSpectra spectra(std::size_t i, u32 L, const host::BufferRange& area) {
    const DeviceLayer& dl = dw->layers[i];
    const u32 N = ops::fft_size_for(L);
    LayerSpectra out;
    const ops::FftBackend backend = fft->backend_for(N, cfg.hidden_size);
    auto one = [&](const DeviceFilter& f, const std::string& key) -> std::shared_ptr<const ops::FilterSpectrum> {
      if (auto hit = fft->cache().find(key, N, backend); hit && hit->len >= L) return hit;
      const u32 len = spectrum_filter_length(L, f.tables.lmax);
      SpectrumId id;
      if (store) {
        id = spectrum_id(f, key, N, backend, len);
        if (std::shared_ptr<const ops::FilterSpectrum> s = store->load(*ctx, id)) {
          fft->cache().insert(key, s);
          return s;
        }
      }
      std::shared_ptr<const ops::FilterSpectrum> s;
      with_filter(f, len, area, [&](host::CommandRecorder& rec, const ops::FilterInput& in) {
        s = fft->spectrum(rec, key, in, N);
      });
      if (store) store->save(*ctx, id, *s, s->bytes() * spectra_per_pass());  // a skip is in its stats
      return s;
    };
    const std::string prefix = "layer" + std::to_string(i) + ".";
    out.s1 = one(dl.filter1, prefix + "filter_fn");
    if (dl.filter2) out.s2 = one(*dl.filter2, prefix + "filter_fn2");
    return out;
  }

  // The filter values themselves (intermediates for compare): fwd and, if bidirectional, rev.
  std::pair<FloatTensor, FloatTensor> filter_values(const DeviceFilter& f, u32 L) {
    const int64_t H = cfg.hidden_size;
    host::Buffer area = ctx->create_buffer(filter_area_bytes(f.tables, L, f.rev.has_value()));
    host::BufferRange kfr, krr;
    with_filter(f, L, area.range(), [&](host::CommandRecorder&, const ops::FilterInput& in) {
      kfr = in.kf;
      if (in.kr) krr = *in.kr;
    });
    // (L, H) on the device -> (H, L), the reference's layout.
    auto channel_major = [&](const host::BufferRange& r) {
      std::vector<float> tm(static_cast<std::size_t>(H) * L);
      ctx->download(r, tm.data(), tm.size() * 4);
      FloatTensor t({H, L});
      for (u64 j = 0; j < L; ++j)
        for (u64 c = 0; c < u64(H); ++c) t.data[c * L + j] = tm[j * H + c];
      return t;
    };
    FloatTensor kf = channel_major(kfr), kr;
    if (f.rev) kr = channel_major(krr);
    return {std::move(kf), std::move(kr)};
  }

  u64 spectra_per_pass() const { return u64(cfg.num_hidden_layers) * (cfg.residual_long_conv ? 2 : 1); }

  // What a spectrum of filter f at FFT size N, built from `len` taps, is (the store's key).
  SpectrumId spectrum_id(const DeviceFilter& f, const std::string& key, u32 N, ops::FftBackend backend, u32 len) const {
    SpectrumId id;
    char w_mod[32];
    std::snprintf(w_mod, sizeof w_mod, "%.9g", cfg.hyena_w_mod);
    id.filter = f.weights_hash + " w_mod=" + w_mod + " " + key;
    id.backend = backend;
    id.plan = fft->spectrum_plan(N, backend);
    id.channels = f.tables.channels;
    id.len = len;
    id.bidirectional = f.rev.has_value();
    return id;
  }

  bool all_spectra_fit(u32 L) const {
    const u64 per = u64(cfg.hidden_size) * (ops::fft_size_for(L) / 2) * 8;
    return per * spectra_per_pass() <= fft->cache().budget();
  }
};

GpuModel::GpuModel(const ModelConfig& config, const ModelWeights& weights, const GpuOptions& options)
    : impl_(std::make_unique<Impl>(config, options)) {
  Impl& m = *impl_;
  const auto& devices = vulkan_devices();
  auto choice = choose_device_from_env(devices, options.device_spec);
  if (!choice)
    throw DeviceUnavailable(devices.empty() ? "no Vulkan device found (install a GPU driver, or mesa-vulkan-drivers "
                                              "for the lavapipe CPU device); use --device cpu"
                                            : "CUDA_VISIBLE_DEVICES hides every GPU and no other Vulkan device exists");
  m.choice = *choice;
  host::ContextOptions co;
  co.device_spec = std::to_string(choice->index);
  co.validation = options.validation || host::validation_from_env();
  auto t0 = Clock::now();
  m.ctx = host::Context::create(co);
  add_stage_time(m.load_stages, "device context", ms_since(t0));
  t0 = Clock::now();
  m.dw = std::make_unique<DeviceWeights>(*m.ctx, config, weights);
  add_stage_time(m.load_stages, "weights upload", ms_since(t0));
  ops::FftConvOptions fo;
  fo.spectrum_budget_bytes = options.spectrum_budget_bytes;
  fo.max_single = options.fft_max_single;
  if (fo.spectrum_budget_bytes == 0) {
    const SpectrumBudget b = default_spectrum_budget(m.ctx->device_info(), m.dw->bytes(), host_memory_available());
    fo.spectrum_budget_bytes = b.bytes;
    m.budget_reason = b.reason;
  }
  // The folder of the pipeline cache holds the kernel-choice file and the spectrum files too.
  const std::filesystem::path pipeline_cache = m.ctx->pipeline_cache_path();
  const std::filesystem::path cache_dir = pipeline_cache.empty() ? host::default_cache_dir() : pipeline_cache.parent_path();
  const std::optional<std::filesystem::path> choice_file =
      options.kernel_choice_file ? *options.kernel_choice_file : cache_dir / "kernel_choice.json";
  m.fft_chooser = std::make_unique<FftBackendChooser>(*m.ctx, options.kernels, fo, choice_file);
  fo.choose_backend = [c = m.fft_chooser.get()](u32 n, u32 channels) { return c->choose(n, channels); };
  m.fft = std::make_unique<ops::FftConv>(*m.ctx, fo);
  m.gemm_chooser = std::make_unique<GemmChooser>(*m.ctx, options.gemm_kernel, choice_file);
  std::uint64_t store_bytes = 0;
  if (options.spectrum_store_bytes) {
    store_bytes = *options.spectrum_store_bytes;
    m.store_reason = store_bytes ? std::to_string(store_bytes >> 20) + " MB (asked for)" : "off (asked for)";
  } else {
    const SpectrumStoreDefault d = default_spectrum_store(m.ctx->device_info());
    store_bytes = d.bytes;
    m.store_reason = d.reason;
  }
  if (store_bytes) {
    const std::filesystem::path dir = options.spectrum_store_dir ? *options.spectrum_store_dir : cache_dir / "spectra";
    // recipe: bump when the host side of building a spectrum changes (the filter evaluation's
    // dispatches, spectrum_filter_length, the FFT op's spectrum recording) so older files go unused.
    m.store = std::make_unique<SpectrumStore>(
        dir, store_bytes, spectrum_device_identity(m.ctx->device_info()) + " kernels=" + kernels_identity() + " recipe=1");
  }
  m.precision = ops::resolve_precision(*m.ctx, options.gemm_precision);
  if (m.precision != options.gemm_precision)
    m.precision_fallback = ops::coopmat_missing(m.ctx->device_info(), ops::coopmat_enabled(*m.ctx));
}

GpuModel::~GpuModel() = default;

const host::DeviceInfo& GpuModel::device_info() const { return impl_->ctx->device_info(); }
std::string GpuModel::device_reason() const { return impl_->choice.reason; }
const std::vector<FftChoice>& GpuModel::fft_choices() const { return impl_->fft_chooser->choices(); }
const std::vector<GemmChoice>& GpuModel::gemm_choices() const { return impl_->gemm_chooser->choices(); }
ops::Precision GpuModel::gemm_precision() const { return impl_->precision; }
std::string GpuModel::gemm_precision_fallback() const { return impl_->precision_fallback; }
host::Context& GpuModel::context() { return *impl_->ctx; }
const std::vector<StageTime>& GpuModel::load_stages() const { return impl_->load_stages; }
const std::string& GpuModel::spectrum_budget_reason() const { return impl_->budget_reason; }
const SpectrumStore* GpuModel::spectrum_store() const { return impl_->store.get(); }
const std::string& GpuModel::spectrum_store_reason() const { return impl_->store_reason; }

GpuMemory GpuModel::memory() const {
  GpuMemory r;
  r.weights = impl_->dw->bytes();
  r.activations = impl_->activation_bytes();
  r.spectra = impl_->fft->cache().bytes();
  r.spectrum_budget = impl_->fft->cache().budget();
  r.fft_scratch = impl_->fft->scratch_bytes();
  r.peak_activations = impl_->peak;
  return r;
}

namespace {

// Downloads (rows of) a buffer into a FloatTensor of `shape`.
FloatTensor fetch(host::Context& ctx, const host::BufferRange& r, std::vector<int64_t> shape) {
  FloatTensor t(std::move(shape));
  ctx.download(r, t.data.data(), t.data.size() * sizeof(float));
  return t;
}

// (B, C, L) channel-major buffer -> tensor of the same layout.
FloatTensor fetch_cm(host::Context& ctx, const host::BufferRange& r, int64_t B, int64_t C, int64_t L) {
  return fetch(ctx, r, {B, C, L});
}

}  // namespace

ForwardResult GpuModel::forward(const Batch& batch, const IntermediateSink* sink, GpuProfile* profile,
                                ForwardOutputs outputs) {
  batch.validate(impl_->cfg);
  Impl& m = *impl_;
  host::Context& ctx = *m.ctx;
  StageClock clock(ctx, profile);
  m.profile = profile;
  struct Unset {
    Impl& m;
    ~Unset() { m.profile = nullptr; }
  } unset{m};
  const ModelConfig& cfg = m.cfg;
  const bool debug = sink != nullptr && *sink;
  auto emit = [&](const std::string& name, const FloatTensor& t) {
    if (debug) (*sink)(name, t);
  };
  const u32 B = static_cast<u32>(batch.batch), L = static_cast<u32>(batch.length);
  const u32 H = static_cast<u32>(cfg.hidden_size), I = static_cast<u32>(cfg.intermediate_size);
  const u64 T = u64(B) * L, TH = T * H;
  const DeviceWeights& dw = *m.dw;
  const bool glu = cfg.use_glu_mlp;
  ops::GemmOptions plain;
  plain.precision = m.precision;
  plain.choose_kernel = [c = m.gemm_chooser.get()](const ops::GemmShape& s) { return c->choose(s); };
  // The cooperative-matrix kernel has no fused GLU epilogue.
  const bool fused = !glu || (ops::glu_fusable(dw.layers.at(0).gated) && m.precision == ops::Precision::FP32);
  const u32 G = glu ? 2 * I : I;

  PlanLimits lim;
  lim.max_storage_range = ctx.limits().max_storage_range;
  lim.max_allocation = ctx.limits().max_allocation_size;
  lim.mlp_chunk_bytes = m.options.mlp_chunk_bytes;
  const ActivationPlan plan = plan_activations(cfg, B, L, lim, fused);

  // Inputs: ids | type ids | mask, each section on a 256-byte boundary (so ids and type ids
  // share their binding alignment, as the embedding kernel requires).
  const u64 sec = (T * 4 + 255) / 256 * 256;
  host::BufferRange in = m.inputs.get(ctx, 3 * sec);
  {
    std::vector<std::int32_t> types = batch.token_type_ids, mask = batch.attention_mask;
    if (types.empty()) types.assign(T, 0);
    if (mask.empty()) mask.assign(T, 1);
    ctx.upload(in, batch.input_ids.data(), T * 4, 0);
    ctx.upload(in, types.data(), T * 4, sec);
    ctx.upload(in, mask.data(), T * 4, 2 * sec);
  }
  const host::BufferRange ids = in.slice(0, T * 4), types = in.slice(sec, T * 4), mask = in.slice(2 * sec, T * 4);

  const host::BufferRange hb = m.h.get(ctx, plan.h_bytes), pb = m.p.get(ctx, plan.p_bytes);
  const host::BufferRange x1vb = m.x1v.get(ctx, plan.x_bytes), x2b = m.x2.get(ctx, plan.x_bytes);
  const MatrixView hv = MatrixView::row_major(hb, B, L, H);
  const MatrixView pv = MatrixView::row_major(pb, B, L, 3 * H);
  const MatrixView x1vv = MatrixView::channel_major(x1vb, B, L, H), x2v = MatrixView::channel_major(x2b, B, L, H);
  // y and m live in p once the short conv has consumed it.
  const host::BufferRange yb = pb.slice(0, TH * 4), mb = pb.slice(TH * 4, TH * 4);
  const MatrixView yv = MatrixView::row_major(yb, B, L, H), mv = MatrixView::row_major(mb, B, L, H);
  // CPU devices: the long convolutions write y channel-major into p's last third, then one copy
  // makes it token-major (conv_output_channel_major).
  const bool y_cm = conv_output_channel_major(ctx.device_info());
  const host::BufferRange ycb = pb.slice(2 * TH * 4, TH * 4);

  // Debug buffers (intermediates): separate, so nothing is overwritten before it is read back.
  host::BufferRange dqb, lcb, rlcb, ycmb, dmb, dgb, dab, doutb;
  if (debug) {
    dqb = m.dq.get(ctx, 3 * TH * 4);
    lcb = m.lc.get(ctx, TH * 4);
    rlcb = m.rlc.get(ctx, TH * 4);
    ycmb = m.ycm.get(ctx, TH * 4);
    dmb = m.dm.get(ctx, TH * 4);
    dgb = m.dg.get(ctx, T * G * 4);
    dab = m.da.get(ctx, T * (glu ? I : G) * 4);
    doutb = m.dout.get(ctx, TH * 4);
  }
  host::BufferRange ab, ob, glub;
  if (!debug) {
    ab = m.a.get(ctx, plan.a_bytes);
    ob = m.o.get(ctx, plan.o_bytes);
    if (plan.glu_bytes) glub = m.glu.get(ctx, plan.glu_bytes);
  }

  clock.lap("buffers + upload");
  // Whole-batch submit when every spectrum of this length fits the cache; else one per layer.
  const bool per_layer = debug || !m.all_spectra_fit(L);
  std::vector<LayerSpectra> spectra(dw.layers.size());
  if (!per_layer)
    for (std::size_t i = 0; i < dw.layers.size(); ++i) spectra[i] = m.spectra(i, L, pb);
  clock.lap("filters + spectra");

  host::RecordOptions ro;
  ro.profile = profile != nullptr;
  std::optional<host::CommandRecorder> rec;
  std::size_t submits = 0;
  auto begin = [&] {
    if (!rec) rec.emplace(ctx.record(ro));
  };
  auto submit = [&] {
    if (!rec) return;
    rec->submit_and_wait();
    ++submits;
    if (profile) {
      std::vector<std::pair<std::string, double>> t;
      for (const auto& d : rec->timings()) t.emplace_back(d.name, d.ms);
      add_timings(*profile, t);
    }
    rec.reset();
  };

  begin();
  ops::record_embedding(ctx, *rec, ids, types, B, L, dw.embeddings, hv);
  if (debug) {
    submit();
    emit("embeddings.output", fetch(ctx, hb, {B, L, H}));
  }

  for (std::size_t i = 0; i < dw.layers.size(); ++i) {
    const DeviceLayer& lw = dw.layers[i];
    const std::string pre = "encoder.layer." + std::to_string(i) + ".";
    if (per_layer) {
      submit();  // the previous layer's work; spectra() may submit its own small batch
      clock.lap("layers");
      spectra[i] = m.spectra(i, L, pb);
      clock.lap("filters + spectra");
    }
    begin();
    ops::record_linear(ctx, *rec, hv, lw.in_linear, pv, plain);
    ops::record_short_conv_gated(ctx, *rec, pv, lw.short_conv, x1vv, x2v);
    ops::FftConvArgs c1;
    c1.batch = B;
    c1.channels = H;
    c1.len = L;
    c1.x = ops::FftTensor::channel_major(x1vb, H, L);
    c1.d = lw.filter1.d;
    c1.spectrum = spectra[i].s1.get();
    std::optional<ops::FftConvArgs> c2;
    if (lw.filter2) {
      ops::FftConvArgs a2;
      a2.batch = B;
      a2.channels = H;
      a2.len = L;
      a2.x = ops::FftTensor::token_major(hb, H, L);
      a2.d = lw.filter2->d;
      a2.spectrum = spectra[i].s2.get();
      c2 = a2;
    }
    if (!debug) {
      // y = LongConv2(u) + D2 u, then y += (LongConv1(x1 v) + D1 x1 v) * x2 (layout: y_cm).
      if (c2) {
        c2->out = y_cm ? ops::FftTensor::channel_major(ycb, H, L) : ops::FftTensor::token_major(yb, H, L);
        m.fft->record(*rec, *c2);
      }
      c1.postgate = ops::FftTensor::channel_major(x2b, H, L);
      c1.out = y_cm ? ops::FftTensor::channel_major(ycb, H, L) : ops::FftTensor::token_major(yb, H, L);
      c1.accumulate = c2.has_value();
      m.fft->record(*rec, c1);
      if (y_cm) ops::record_copy_rows(ctx, *rec, MatrixView::channel_major(ycb, B, L, H), yv);
      ops::record_linear(ctx, *rec, yv, lw.out_linear, mv, plain);
      record_mlp_chunks(ctx, *rec, {mb, hb, ab, ob, glub, T, plan.chunk_tokens, H, glu ? I : G, glu, fused}, lw.gated, lw.wo,
                        lw.norm, plain);
      continue;
    }

    // Intermediate-producing variant: every golden tensor gets its own buffer.
    const MatrixView qv = MatrixView::channel_major(dqb, B, L, 3 * H);
    ops::record_short_conv(ctx, *rec, pv, lw.short_conv, qv);
    c1.out = ops::FftTensor::channel_major(lcb, H, L);
    m.fft->record(*rec, c1);
    const MatrixView lcv = MatrixView::channel_major(lcb, B, L, H), ycv = MatrixView::channel_major(ycmb, B, L, H);
    if (c2) {
      c2->out = ops::FftTensor::channel_major(rlcb, H, L);
      m.fft->record(*rec, *c2);
      ops::record_mul_add(ctx, *rec, lcv, x2v, MatrixView::channel_major(rlcb, B, L, H), ycv);
    } else {
      ops::record_mul_add(ctx, *rec, lcv, x2v, std::nullopt, ycv);
    }
    const MatrixView dmv = MatrixView::row_major(dmb, B, L, H);
    ops::record_linear(ctx, *rec, ycv, lw.out_linear, dmv, plain);
    const MatrixView gv = MatrixView::row_major(dgb, B, L, G);
    const MatrixView av = MatrixView::row_major(dab, B, L, glu ? I : G);
    const MatrixView ov = MatrixView::row_major(doutb, B, L, H);
    ops::record_linear(ctx, *rec, dmv, lw.gated, gv, plain);
    ops::record_activation(ctx, *rec, glu ? ops::Activation::Glu : ops::Activation::Gelu, gv, av);
    ops::record_linear(ctx, *rec, av, lw.wo, ov, plain);
    ops::record_layer_norm(ctx, *rec, ov, dmv, lw.norm, hv);
    submit();

    emit(pre + "mixer.in_linear", fetch(ctx, pb, {B, L, 3 * H}));
    emit(pre + "mixer.short_conv", fetch_cm(ctx, dqb, B, 3 * H, L));
    auto emit_filter = [&](const DeviceFilter& f, const std::string& name) {
      const auto [kf, kr] = m.filter_values(f, L);
      emit(pre + "mixer." + name + ".k_fwd", kf);
      if (kr.empty()) return;
      emit(pre + "mixer." + name + ".k_rev", kr);
      FloatTensor kc({H, 2 * static_cast<int64_t>(L)});
      for (u64 c = 0; c < H; ++c)
        for (u64 j = 0; j < L; ++j) {
          kc.data[c * 2 * L + j] = kf.data[c * L + j];
          kc.data[c * 2 * L + 2 * L - 1 - j] = kr.data[c * L + j];  // [k_fwd, reversed k_rev]
        }
      emit(pre + "mixer." + name + ".k_combined", kc);
    };
    emit_filter(lw.filter1, "filter_fn");
    emit(pre + "mixer.long_conv", fetch_cm(ctx, lcb, B, H, L));
    if (lw.filter2) {
      emit_filter(*lw.filter2, "filter_fn2");
      emit(pre + "mixer.residual_long_conv", fetch_cm(ctx, rlcb, B, H, L));
    }
    emit(pre + "mixer.output", fetch(ctx, dmb, {B, L, H}));
    emit(pre + "mlp.gated_layers", fetch(ctx, dgb, {B, L, G}));
    emit(pre + "mlp.wo", fetch(ctx, doutb, {B, L, H}));
    emit(pre + "output", fetch(ctx, hb, {B, L, H}));
  }

  // Heads.
  begin();
  host::BufferRange pooledb, logitsb;
  if (dw.pooler) {
    pooledb = m.pooled.get(ctx, u64(B) * H * 4);
    const MatrixView pv_out = MatrixView::row_major(pooledb, B, 1, H);
    ops::GemmOptions go = plain;
    go.epilogue = ops::Epilogue::Tanh;
    if (cfg.pool_all) {
      const MatrixView pin = MatrixView::row_major(m.pooled_in.get(ctx, u64(B) * H * 4), B, 1, H);
      ops::record_mean_pool(ctx, *rec, hv, mask, pin);
      ops::record_linear(ctx, *rec, pin, *dw.pooler, pv_out, go);
    } else {
      ops::record_linear(ctx, *rec, ops::cls_rows(hv), *dw.pooler, pv_out, go);
    }
    if (dw.classifier) {
      logitsb = m.logits.get(ctx, u64(B) * dw.classifier->out * 4);
      ops::record_linear(ctx, *rec, pv_out, *dw.classifier, MatrixView::row_major(logitsb, B, 1, dw.classifier->out), plain);
    }
  }
  submit();
  clock.lap("layers");
  m.peak = std::max(m.peak, m.activation_bytes());
  if (profile) profile->submits += submits;

  ForwardResult r;
  if (outputs == ForwardOutputs::All || !dw.pooler || sink) {
    r.last_hidden_state = fetch(ctx, hb, {B, L, H});
    emit("last_hidden_state", r.last_hidden_state);
  }
  if (dw.pooler) {
    r.pooled = fetch(ctx, pooledb, {B, H});
    emit("pooled_output", r.pooled);
    emit("sentence_embedding", r.pooled);
    if (dw.classifier) {
      r.logits = fetch(ctx, logitsb, {B, static_cast<int64_t>(dw.classifier->out)});
      emit("logits", r.logits);
    }
  }
  clock.lap("download");
  return r;
}

}  // namespace m2vk::gpu
