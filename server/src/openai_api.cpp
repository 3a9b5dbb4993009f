// The OpenAI embeddings API: POST /v1/embeddings and GET /v1/models, with OpenAI's request fields,
// response shape and error body {"error": {"message", "type", "param", "code"}}.
#include <openssl/evp.h>

#include <bit>
#include <chrono>
#include <cstring>

#include "context.hpp"

namespace m2vk::server {

using nlohmann::json;

void write_openai_error(httplib::Response& res, const ApiError& e) {
  const char* type = "invalid_request_error";
  json code = nullptr;
  switch (e.kind) {
    case ErrorKind::Validation: break;
    case ErrorKind::Auth: code = "invalid_api_key"; break;
    case ErrorKind::Overloaded: type = "rate_limit_exceeded"; code = "rate_limit_exceeded"; break;
    case ErrorKind::Unavailable: type = "server_error"; code = "service_unavailable"; break;
    case ErrorKind::TooLarge: code = "request_too_large"; break;
    case ErrorKind::NotFound: code = "not_found"; break;
    case ErrorKind::Backend: type = "server_error"; break;
  }
  json err = {{"message", e.message}, {"type", type}, {"param", e.param.empty() ? json(nullptr) : json(e.param)},
              {"code", code}};
  res.status = e.status;
  // Messages may quote the client's bytes: invalid UTF-8 is replaced, never a failure to answer.
  res.set_content(json{{"error", err}}.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

namespace {

// Little-endian float32 bytes in base64, as the official clients decode `encoding_format: base64`.
std::string base64_floats(const std::vector<float>& v) {
  static_assert(std::endian::native == std::endian::little, "base64 embeddings are little-endian float32");
  const std::size_t bytes = v.size() * sizeof(float);
  std::string out(4 * ((bytes + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(v.data()), static_cast<int>(bytes));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// OpenAI's `input`: a string, an array of strings, one token-id array, or an array of them.
std::vector<Row> openai_rows(const ServerContext& ctx, const json& input) {
  Truncation t = ctx.truncation(false, false);
  t.offered = false;  // the OpenAI API has no truncate field
  auto text = [&](const json& s, const std::string& param) {
    if (s.get_ref<const std::string&>().empty()) throw RequestError(param + " is an empty string", param);
    return text_row(ctx.model, s.get_ref<const std::string&>(), std::nullopt, t, param);
  };
  std::vector<Row> rows;
  if (input.is_string()) {
    rows.push_back(text(input, "input"));
  } else if (input.is_array()) {
    if (input.empty()) throw RequestError("input is an empty array", "input");
    if (input.size() > ctx.options.max_client_batch_size)
      throw RequestError("input has " + std::to_string(input.size()) + " items, more than the " +
                             std::to_string(ctx.options.max_client_batch_size) + " allowed per request",
                         "input");
    if (input[0].is_number()) {
      rows.push_back(ids_row(ctx.model, input, t, "input"));
    } else {
      for (std::size_t i = 0; i < input.size(); ++i) {
        const std::string param = "input[" + std::to_string(i) + "]";
        if (input[i].is_string()) rows.push_back(text(input[i], param));
        else if (input[i].is_array()) rows.push_back(ids_row(ctx.model, input[i], t, param));
        else throw RequestError(param + " must be a string or an array of token ids", param);
      }
    }
  } else if (input.is_null()) {
    throw RequestError("input is required", "input");
  } else {
    throw RequestError("input must be a string, an array of strings or an array of token-id arrays", "input");
  }
  return rows;
}

void embeddings(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const json body = parse_body(req.body);
  if (!body.is_object()) throw RequestError("the request body must be a JSON object", "body");
  if (!ctx.model.weights().has_pooler())
    throw RequestError("this model has no pooler (bert.pooler.dense.*): it produces no sentence embeddings", "model");
  if (!body.contains("model")) throw RequestError("you must provide a model parameter", "model");
  if (!body["model"].is_string()) throw RequestError("model must be a string", "model");
  std::string format = "float";
  if (body.contains("encoding_format") && !body["encoding_format"].is_null()) {
    if (!body["encoding_format"].is_string() ||
        (body["encoding_format"] != "float" && body["encoding_format"] != "base64"))
      throw RequestError("encoding_format must be \"float\" or \"base64\"", "encoding_format");
    format = body["encoding_format"].get<std::string>();
  }
  const int64_t H = ctx.model.config().hidden_size;
  if (body.contains("dimensions") && !body["dimensions"].is_null()) {
    // M2-BERT was not trained for truncated (Matryoshka) embeddings: only its own width is honest.
    if (!body["dimensions"].is_number_integer() || body["dimensions"].get<int64_t>() != H)
      throw RequestError("dimensions: this model only produces " + std::to_string(H) +
                             "-dimensional embeddings (it was not trained for shortened ones)",
                         "dimensions");
  }
  std::vector<Row> rows = openai_rows(ctx, body.contains("input") ? body["input"] : json(nullptr));
  int64_t tokens = 0;
  for (const Row& r : rows) tokens += static_cast<int64_t>(r.ids.size());
  const RowOutputs out = ctx.infer(std::move(rows));
  json data = json::array();
  for (std::size_t i = 0; i < out.pooled.size(); ++i) {
    json item = {{"object", "embedding"}, {"index", i}};
    if (format == "base64") item["embedding"] = base64_floats(out.pooled[i]);
    else item["embedding"] = out.pooled[i];
    data.push_back(std::move(item));
  }
  const json response = {{"object", "list"},
                         {"data", std::move(data)},
                         {"model", ctx.options.model_name},
                         {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
  res.set_content(response.dump(), "application/json");
}

}  // namespace

void add_openai_routes(httplib::Server& http, ServerContext& ctx) {
  http.Post("/v1/embeddings", [&ctx](const httplib::Request& req, httplib::Response& res) {
    ctx.handle("/v1/embeddings", 400, write_openai_error, req, res,
               [&ctx](const httplib::Request& rq, httplib::Response& rs) { embeddings(ctx, rq, rs); });
  });
  const auto created = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  http.Get("/v1/models", [&ctx, created](const httplib::Request&, httplib::Response& res) {
    const json model = {{"id", ctx.options.model_name}, {"object", "model"}, {"created", created},
                        {"owned_by", "m2vk"}};
    res.set_content(json{{"object", "list"}, {"data", json::array({model})}}.dump(), "application/json");
    ctx.metrics.count_request("/v1/models", 200);
  });
}

}  // namespace m2vk::server
