// Hugging Face text-embeddings-inference (TEI) routes: POST /embed, /predict, /tokenize and
// GET /health, /info, /metrics, with TEI's request fields, response shapes and error body
// {"error": "...", "error_type": "Validation" | "Overloaded" | "Unhealthy" | "Backend" | ...}.
#include <algorithm>

#include "context.hpp"

namespace m2vk::server {

using nlohmann::json;

void write_tei_error(httplib::Response& res, const ApiError& e) {
  const char* type = "Validation";
  switch (e.kind) {
    case ErrorKind::Validation: break;
    case ErrorKind::Auth: type = "Unauthorized"; break;
    case ErrorKind::Overloaded: type = "Overloaded"; break;
    case ErrorKind::Unavailable: type = "Unhealthy"; break;
    case ErrorKind::TooLarge: type = "PayloadTooLarge"; break;
    case ErrorKind::NotFound: type = "NotFound"; break;
    case ErrorKind::Backend: type = "Backend"; break;
  }
  res.status = e.status;
  // Messages may quote the client's bytes: invalid UTF-8 is replaced, never a failure to answer.
  res.set_content(json{{"error", e.message}, {"error_type", type}}.dump(-1, ' ', false, json::error_handler_t::replace),
                  "application/json");
}

namespace {

json object_body(const httplib::Request& req) {
  json body = parse_body(req.body);
  if (!body.is_object()) throw RequestError("the request body must be a JSON object", "body");
  if (!body.contains("inputs")) throw RequestError("inputs is required", "inputs");
  return body;
}

bool bool_field(const json& body, const char* name, bool fallback) {
  if (!body.contains(name) || body[name].is_null()) return fallback;
  if (!body[name].is_boolean()) throw RequestError(std::string(name) + " must be true or false", name);
  return body[name].get<bool>();
}

Truncation tei_truncation(const ServerContext& ctx, const json& body) {
  bool left = false;
  if (body.contains("truncation_direction") && !body["truncation_direction"].is_null()) {
    const json& d = body["truncation_direction"];
    if (!d.is_string() || (d != "Right" && d != "Left" && d != "right" && d != "left"))
      throw RequestError("truncation_direction must be \"Right\" or \"Left\"", "truncation_direction");
    left = d == "Left" || d == "left";
  }
  return ctx.truncation(bool_field(body, "truncate", false), left);
}

const std::string& nonempty_text(const json& v, const std::string& param) {
  if (!v.is_string()) throw RequestError(param + " must be a string", param);
  if (v.get_ref<const std::string&>().empty()) throw RequestError(param + " is an empty string", param);
  return v.get_ref<const std::string&>();
}

// `inputs` as one item or a non-empty array of items within max_client_batch_size.
std::vector<json> input_items(const ServerContext& ctx, const json& inputs, bool single_is_array) {
  if (inputs.is_array() && !single_is_array) {
    if (inputs.empty()) throw RequestError("inputs is an empty array", "inputs");
    if (inputs.size() > ctx.options.max_client_batch_size)
      throw RequestError("inputs has " + std::to_string(inputs.size()) + " items, more than the " +
                             std::to_string(ctx.options.max_client_batch_size) + " allowed per request",
                         "inputs");
    return {inputs.begin(), inputs.end()};
  }
  return {inputs};
}

void embed(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!ctx.model.weights().has_pooler())
    throw RequestError("this model has no pooler (bert.pooler.dense.*): it produces no embeddings; use /predict",
                       "inputs");
  const json body = object_body(req);
  const bool normalize = bool_field(body, "normalize", true);
  const Truncation t = tei_truncation(ctx, body);
  const json& inputs = body["inputs"];
  std::vector<Row> rows;
  const std::vector<json> items = input_items(ctx, inputs, false);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string param = inputs.is_array() ? "inputs[" + std::to_string(i) + "]" : "inputs";
    rows.push_back(text_row(ctx.model, nonempty_text(items[i], param), std::nullopt, t, param));
  }
  const RowOutputs out = ctx.infer(std::move(rows));
  json result = json::array();
  for (const auto& p : out.pooled) result.push_back(normalize ? l2_normalized(p) : p);
  res.set_content(result.dump(), "application/json");
}

// One /predict input: a string, or [text, text_pair].
Row predict_row(const ServerContext& ctx, const json& item, const Truncation& t, const std::string& param) {
  if (item.is_string()) return text_row(ctx.model, nonempty_text(item, param), std::nullopt, t, param);
  if (item.is_array() && item.size() == 2)
    return text_row(ctx.model, nonempty_text(item[0], param + "[0]"),
                    std::string_view(nonempty_text(item[1], param + "[1]")), t, param);
  throw RequestError(param + " must be a string or a [text, text_pair] array", param);
}

json predictions(const ServerContext& ctx, const std::vector<float>& logits, bool raw_scores) {
  const ModelConfig& c = ctx.model.config();
  // Regression models (one logit) report the value itself, as classify() does.
  const std::vector<float> scores = raw_scores || logits.size() == 1 ? logits : softmax(logits);
  std::vector<std::size_t> order(scores.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  json out = json::array();
  for (std::size_t i : order) out.push_back({{"score", scores[i]}, {"label", c.label(static_cast<int64_t>(i))}});
  return out;
}

void predict(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!ctx.model.weights().has_classifier())
    throw RequestError("this model has no classification head: use /embed", "inputs");
  const json body = object_body(req);
  const bool raw_scores = bool_field(body, "raw_scores", false);
  const Truncation t = tei_truncation(ctx, body);
  const json& inputs = body["inputs"];
  // A batch is an array whose items are strings or pairs; a lone pair is ["a", "b"] of two strings.
  const bool lone_pair = inputs.is_array() && inputs.size() == 2 && inputs[0].is_string() && inputs[1].is_string();
  const bool batch = inputs.is_array() && !lone_pair;
  if (inputs.is_array() && !lone_pair) {
    for (const json& item : inputs)
      if (item.is_string())
        throw RequestError("inputs: a batch is an array of [text] or [text, text_pair] arrays; "
                           "a single text is a string and a single pair [text, text_pair]",
                           "inputs");
  }
  std::vector<Row> rows;
  const std::vector<json> items = input_items(ctx, inputs, !batch);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string param = batch ? "inputs[" + std::to_string(i) + "]" : "inputs";
    const json& item = items[i];
    // In a batch TEI writes a single text as [text].
    if (batch && item.is_array() && item.size() == 1) rows.push_back(predict_row(ctx, item[0], t, param));
    else rows.push_back(predict_row(ctx, item, t, param));
  }
  const RowOutputs out = ctx.infer(std::move(rows));
  json result = json::array();
  for (const auto& l : out.logits) result.push_back(predictions(ctx, l, raw_scores));
  res.set_content((batch ? result : result[0]).dump(), "application/json");
}

void tokenize(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const json body = object_body(req);
  const bool special = bool_field(body, "add_special_tokens", true);
  const json& inputs = body["inputs"];
  const auto& tk = ctx.model.tokenizer();
  tok::EncodeOptions eo;
  eo.add_special_tokens = special;
  json result = json::array();
  const std::vector<json> items = input_items(ctx, inputs, false);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string param = inputs.is_array() ? "inputs[" + std::to_string(i) + "]" : "inputs";
    if (!items[i].is_string()) throw RequestError(param + " must be a string", param);
    tok::Encoding e;
    try {
      e = tk.encode(items[i].get_ref<const std::string&>(), std::nullopt, eo);
    } catch (const tok::TokenizerError& err) {
      throw RequestError(param + ": " + err.what(), param);
    }
    json tokens = json::array();
    for (std::size_t k = 0; k < e.input_ids.size(); ++k) {
      // [CLS]/[SEP] added by the template are the special tokens; m2vk's tokenizer keeps no
      // character offsets, so start/stop are null (TEI's schema allows it).
      const bool is_special = special && (k == 0 || k + 1 == e.input_ids.size());
      tokens.push_back({{"id", e.input_ids[k]}, {"text", e.tokens[k]}, {"special", is_special},
                        {"start", nullptr}, {"stop", nullptr}});
    }
    result.push_back(std::move(tokens));
  }
  res.set_content(result.dump(), "application/json");
}

json info(const ServerContext& ctx) {
  const Model& m = ctx.model;
  json type;
  if (m.weights().has_classifier()) {
    json labels = json::object();
    for (int64_t i = 0; i < m.weights().classifier_w.shape.at(0); ++i)
      labels[std::to_string(i)] = m.config().label(i);
    type = {{"classifier", {{"id2label", labels}}}};
  } else {
    type = {{"embedding", {{"pooling", "cls"}}}};
  }
  const gpu::GpuModel* g = m.gpu_model();
  return {{"model_id", ctx.options.model_name},
          {"model_sha", nullptr},
          {"model_dtype", "float32"},
          {"model_type", type},
          {"max_concurrent_requests", ctx.options.max_concurrent_requests},
          {"max_input_length", ctx.serving_length},
          {"max_batch_tokens", ctx.options.max_batch_tokens},
          {"max_batch_requests", ctx.options.max_batch_requests},
          {"max_client_batch_size", ctx.options.max_client_batch_size},
          {"tokenization_workers", ctx.options.max_concurrent_requests},
          {"padding", ctx.options.padding == PaddingMode::MaxLength ? "max_length" : "longest"},
          {"device", g ? g->device_info().name : std::string("cpu (reference)")},
          {"random_weights", m.random_weights()},
          {"version", "m2vk 0.1.0"}};
}

}  // namespace

void add_tei_routes(httplib::Server& http, ServerContext& ctx) {
  auto route = [&ctx, &http](const char* path, void (*fn)(ServerContext&, const httplib::Request&, httplib::Response&)) {
    http.Post(path, [&ctx, path, fn](const httplib::Request& req, httplib::Response& res) {
      ctx.handle(path, 422, write_tei_error, req, res,
                 [&ctx, fn](const httplib::Request& rq, httplib::Response& rs) { fn(ctx, rq, rs); });
    });
  };
  route("/embed", embed);
  route("/predict", predict);
  route("/tokenize", tokenize);
  http.Get("/health", [&ctx](const httplib::Request&, httplib::Response& res) {
    bool draining;
    {
      std::lock_guard<std::mutex> lock(ctx.mutex);
      draining = ctx.draining;
    }
    if (draining) write_tei_error(res, {503, ErrorKind::Unavailable, "the server is shutting down", ""});
    else res.set_content("", "text/plain");
    ctx.metrics.count_request("/health", draining ? 503 : 200);
  });
  http.Get("/info", [&ctx](const httplib::Request&, httplib::Response& res) {
    res.set_content(info(ctx).dump(), "application/json");
    ctx.metrics.count_request("/info", 200);
  });
  http.Get("/metrics", [&ctx](const httplib::Request&, httplib::Response& res) {
    res.set_content(ctx.metrics.render(), "text/plain; version=0.0.4");
  });
}

}  // namespace m2vk::server
