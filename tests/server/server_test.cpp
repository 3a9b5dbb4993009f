// The server in-process on lavapipe, called over loopback with cpp-httplib's client: OpenAI and TEI
// response shapes and values against m2vk::Model on the same inputs, every bad-input and limit rule
// of the server (each with its status and the field it names), batching under concurrency,
// inference errors confined to their batch, disconnects, and the API key.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>

#include "m2vk/demo_model.hpp"
#include "m2vk/model.hpp"
#include "m2vk/server/server.hpp"
#include "m2vk/tokenizer.hpp"
#include "../model/test_util.hpp"

namespace {

using nlohmann::json;
using namespace m2vk;

constexpr int64_t kLength = 32;  // serving length: small, so every pass is quick on lavapipe

ModelLoadOptions on_lavapipe() {
  ModelLoadOptions o;
  o.device = Device::parse("llvmpipe");
  return o;
}

// A started server on a free port; stops (draining) when destroyed.
class Running {
 public:
  Running(const Model& model, server::ServerOptions o) {
    o.port = 0;
    if (!o.max_length) o.max_length = kLength;
    server_ = std::make_unique<server::Server>(model, std::move(o));
    server_->warm_up();
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
  }
  ~Running() {
    server_->shutdown();
    thread_.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c;
  }
  int port() const { return port_; }
  server::Server& server() { return *server_; }

 private:
  std::unique_ptr<server::Server> server_;
  int port_ = 0;
  std::thread thread_;
};

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    write_demo_model(dir_->path() / "emb", demo_config(DemoShape::Tiny, 64), 7);
    ModelConfig cls = demo_config(DemoShape::Tiny, 64);
    cls.auto_model_class.clear();
    cls.num_labels = 3;
    cls.id2label = {{0, "neg"}, {1, "neu"}, {2, "pos"}};
    write_demo_model(dir_->path() / "cls", cls, 8);
    model_ = new Model(Model::load(dir_->path() / "emb", on_lavapipe()));
    classifier_ = new Model(Model::load(dir_->path() / "cls", on_lavapipe()));
  }
  static void TearDownTestSuite() {
    delete model_;
    delete classifier_;
    delete dir_;
  }
  // What the library gives for `texts` at the serving length (the reference for every route).
  static EmbedResult expected(const std::vector<std::string>& texts, bool normalize = false) {
    RunOptions r;
    r.max_length = kLength;
    r.normalize = normalize;
    return model_->embed(texts, r);
  }
  static void expect_close(const std::vector<float>& got, const EmbedResult& want, int64_t row) {
    ASSERT_EQ(static_cast<int64_t>(got.size()), want.dim);
    for (int64_t c = 0; c < want.dim; ++c)
      ASSERT_NEAR(got[static_cast<size_t>(c)], want.data[static_cast<size_t>(row * want.dim + c)], 1e-6)
          << "row " << row << " channel " << c;
  }
  static test::TempDir* dir_;
  static Model* model_;
  static Model* classifier_;
};
test::TempDir* ServerTest::dir_ = nullptr;
Model* ServerTest::model_ = nullptr;
Model* ServerTest::classifier_ = nullptr;

json post(httplib::Client& c, const std::string& path, const std::string& body, int want_status,
          const httplib::Headers& headers = {}) {
  auto r = c.Post(path, headers, body, "application/json");
  if (!r) {
    ADD_FAILURE() << path << ": no response (" << httplib::to_string(r.error()) << ")";
    return json();
  }
  EXPECT_EQ(r->status, want_status) << path << " " << body.substr(0, 200) << " -> " << r->body;
  return r->body.empty() ? json() : json::parse(r->body);
}

std::vector<float> from_base64(const std::string& s) {
  std::string bytes(s.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  // EVP_DecodeBlock counts the '=' padding as zero bytes.
  const size_t pad = s.size() >= 2 ? (s[s.size() - 1] == '=') + (s[s.size() - 2] == '=') : 0;
  std::vector<float> v((static_cast<size_t>(n) - pad) / sizeof(float));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
  return v;
}

// OpenAI error body: {"error": {"message", "type", "param", "code"}}, the message naming `field`.
void expect_openai_error(const json& body, const std::string& field) {
  ASSERT_TRUE(body.contains("error")) << body;
  const json& e = body["error"];
  for (const char* k : {"message", "type", "param", "code"}) EXPECT_TRUE(e.contains(k)) << k << " in " << body;
  EXPECT_NE(e["message"].get<std::string>().find(field), std::string::npos) << body;
}

// TEI error body: {"error": "...", "error_type": "..."}, the message naming `field`.
void expect_tei_error(const json& body, const std::string& field, const std::string& type = "Validation") {
  ASSERT_TRUE(body.contains("error")) << body;
  EXPECT_EQ(body["error_type"], type) << body;
  EXPECT_NE(body["error"].get<std::string>().find(field), std::string::npos) << body;
}

TEST_F(ServerTest, OpenAiEmbeddingsFloatAndBase64EqualTheLibrary) {
  Running s(*model_, {});
  auto c = s.client();
  const std::vector<std::string> texts = {"The quick brown fox", "jumps over the lazy dog", "M2-BERT"};
  const EmbedResult want = expected(texts);
  json r = post(c, "/v1/embeddings", json{{"model", "m"}, {"input", texts}}.dump(), 200);
  EXPECT_EQ(r["object"], "list");
  EXPECT_EQ(r["model"], "m2vk");
  ASSERT_EQ(r["data"].size(), texts.size());
  int64_t tokens = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(r["data"][i]["object"], "embedding");
    EXPECT_EQ(r["data"][i]["index"], i);
    expect_close(r["data"][i]["embedding"].get<std::vector<float>>(), want, static_cast<int64_t>(i));
    tokens += want.tokens[i];
  }
  EXPECT_EQ(r["usage"]["prompt_tokens"], tokens);
  EXPECT_EQ(r["usage"]["total_tokens"], tokens);

  json b = post(c, "/v1/embeddings", json{{"model", "m"}, {"input", texts[1]}, {"encoding_format", "base64"}}.dump(), 200);
  ASSERT_EQ(b["data"].size(), 1u);
  expect_close(from_base64(b["data"][0]["embedding"].get<std::string>()), want, 1);
  // dimensions equal to the model's width is honoured; any other is refused.
  post(c, "/v1/embeddings", json{{"model", "m"}, {"input", "x"}, {"dimensions", want.dim}}.dump(), 200);
  expect_openai_error(post(c, "/v1/embeddings", json{{"model", "m"}, {"input", "x"}, {"dimensions", 8}}.dump(), 400),
                      "dimensions");
}

TEST_F(ServerTest, OpenAiTokenIdInputsEqualTheirText) {
  Running s(*model_, {});
  auto c = s.client();
  const tok::Encoding e = model_->tokenizer().encode("token ids in, embedding out");
  const EmbedResult want = expected({"token ids in, embedding out"});
  json one = post(c, "/v1/embeddings", json{{"model", "m"}, {"input", e.input_ids}}.dump(), 200);
  expect_close(one["data"][0]["embedding"].get<std::vector<float>>(), want, 0);
  json two = post(c, "/v1/embeddings", json{{"model", "m"}, {"input", {e.input_ids, e.input_ids}}}.dump(), 200);
  ASSERT_EQ(two["data"].size(), 2u);
  expect_close(two["data"][1]["embedding"].get<std::vector<float>>(), want, 0);
  // Ids outside the vocabulary are named with their position.
  expect_openai_error(post(c, "/v1/embeddings", json{{"model", "m"}, {"input", {101, 99999999, 102}}}.dump(), 400),
                      "input[1]");
  expect_openai_error(post(c, "/v1/embeddings", json{{"model", "m"}, {"input", {101, -1}}}.dump(), 400), "input[1]");
  auto models = c.Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(json::parse(models->body)["data"][0]["id"], "m2vk");
}

TEST_F(ServerTest, OpenAiBadRequestsAre400NamingTheField) {
  Running s(*model_, {});
  auto c = s.client();
  expect_openai_error(post(c, "/v1/embeddings", "{\"model\": \"m\", \"input\": ", 400), "JSON");
  expect_openai_error(post(c, "/v1/embeddings", json{{"input", "x"}}.dump(), 400), "model");
  expect_openai_error(post(c, "/v1/embeddings", json{{"model", "m"}}.dump(), 400), "input");
  expect_openai_error(post(c, "/v1/embeddings", json{{"model", "m"}, {"input", 5}}.dump(), 400), "input");
  expect_openai_error(post(c, "/v1/embeddings", json{{"model", "m"}, {"input", ""}}.dump(), 400), "input");
  expect_openai_error(post(c, "/v1/embeddings", json{{"model", "m"}, {"input", json::array()}}.dump(), 400), "input");
  expect_openai_error(post(c, "/v1/embeddings", json{{"model", "m"}, {"input", {"a", 3}}}.dump(), 400), "input[1]");
  expect_openai_error(
      post(c, "/v1/embeddings", json{{"model", "m"}, {"input", "x"}, {"encoding_format", "int8"}}.dump(), 400),
      "encoding_format");
  // Longer than the serving length: OpenAI never truncates silently.
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "word ";
  json r = post(c, "/v1/embeddings", json{{"model", "m"}, {"input", long_text}}.dump(), 400);
  expect_openai_error(r, "input");
  EXPECT_EQ(r["error"]["param"], "input");
  // The OpenAI API has no truncate field, so the message does not suggest one.
  EXPECT_EQ(r["error"]["message"].get<std::string>().find("truncate"), std::string::npos) << r;
  // Invalid UTF-8 in the body is a JSON error, named as such.
  expect_openai_error(post(c, "/v1/embeddings", std::string("{\"model\":\"m\",\"input\":\"a\xff\"}"), 400), "UTF-8");
  // The server keeps serving.
  post(c, "/v1/embeddings", json{{"model", "m"}, {"input", "still here"}}.dump(), 200);
}

TEST_F(ServerTest, TeiEmbedNormalizesByDefaultAndTruncatesOnRequest) {
  Running s(*model_, {});
  auto c = s.client();
  const EmbedResult unit = expected({"a text", "another text"}, true);
  json r = post(c, "/embed", json{{"inputs", {"a text", "another text"}}}.dump(), 200);
  ASSERT_EQ(r.size(), 2u);
  expect_close(r[1].get<std::vector<float>>(), unit, 1);
  const EmbedResult raw = expected({"a text"});
  json one = post(c, "/embed", json{{"inputs", "a text"}, {"normalize", false}}.dump(), 200);
  expect_close(one[0].get<std::vector<float>>(), raw, 0);

  std::string long_text;
  for (int i = 0; i < 60; ++i) long_text += "word" + std::to_string(i) + " ";
  const json too_long = post(c, "/embed", json{{"inputs", long_text}}.dump(), 422);
  expect_tei_error(too_long, "inputs");
  EXPECT_NE(too_long["error"].get<std::string>().find("set truncate"), std::string::npos) << too_long;
  // truncate: right keeps the start (as the library's max_length truncation does).
  const EmbedResult cut = expected({long_text}, true);
  json right = post(c, "/embed", json{{"inputs", long_text}, {"truncate", true}}.dump(), 200);
  expect_close(right[0].get<std::vector<float>>(), cut, 0);
  // Left keeps [CLS] + the end of the text + [SEP]: the same as embedding those ids.
  tok::Encoding e = model_->tokenizer().encode(long_text);
  std::vector<int32_t> tail = {e.input_ids.front()};
  tail.insert(tail.end(), e.input_ids.end() - (kLength - 1), e.input_ids.end());
  json left = post(c, "/embed",
                   json{{"inputs", long_text}, {"truncate", true}, {"truncation_direction", "Left"}, {"normalize", false}}
                       .dump(),
                   200);
  json ids = post(c, "/v1/embeddings", json{{"model", "m"}, {"input", tail}}.dump(), 200);
  EXPECT_EQ(left[0], ids["data"][0]["embedding"]);
  EXPECT_NE(left[0], post(c, "/embed", json{{"inputs", long_text}, {"truncate", true}, {"normalize", false}}.dump(), 200)[0]);
}

TEST_F(ServerTest, TeiBadRequestsAre422NamingTheField) {
  Running s(*model_, {});
  auto c = s.client();
  expect_tei_error(post(c, "/embed", "not json", 422), "JSON");
  expect_tei_error(post(c, "/embed", "[1, 2]", 422), "object");
  expect_tei_error(post(c, "/embed", json{{"input", "x"}}.dump(), 422), "inputs");
  expect_tei_error(post(c, "/embed", json{{"inputs", 3}}.dump(), 422), "inputs");
  expect_tei_error(post(c, "/embed", json{{"inputs", ""}}.dump(), 422), "inputs");
  expect_tei_error(post(c, "/embed", json{{"inputs", json::array()}}.dump(), 422), "inputs");
  expect_tei_error(post(c, "/embed", json{{"inputs", {"ok", ""}}}.dump(), 422), "inputs[1]");
  expect_tei_error(post(c, "/embed", json{{"inputs", "x"}, {"normalize", "yes"}}.dump(), 422), "normalize");
  expect_tei_error(post(c, "/embed", json{{"inputs", "x"}, {"truncation_direction", "Up"}}.dump(), 422),
                   "truncation_direction");
  std::vector<std::string> many(65, "x");
  expect_tei_error(post(c, "/embed", json{{"inputs", many}}.dump(), 422), "inputs");
  // A lone surrogate escape is not text: a JSON error.
  expect_tei_error(post(c, "/embed", R"({"inputs": "\udc00"})", 422), "JSON");
  // A route that does not exist answers 404 with the API's error body.
  auto r = c.Get("/nope");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  expect_tei_error(json::parse(r->body), "/nope", "NotFound");
  // /predict on an embedding model names what to use instead.
  expect_tei_error(post(c, "/predict", json{{"inputs", "x"}}.dump(), 422), "/embed");
  post(c, "/embed", json{{"inputs", "still serving"}}.dump(), 200);
}

TEST_F(ServerTest, TeiPredictReturnsLabelsAndScoresLikeClassify) {
  Running s(*classifier_, {});
  auto c = s.client();
  RunOptions ro;
  ro.max_length = kLength;
  const ClassifyResult want = classifier_->classify({{"good movie", std::nullopt}, {"is it?", "it is"}}, ro);
  json single = post(c, "/predict", json{{"inputs", "good movie"}}.dump(), 200);
  ASSERT_EQ(single.size(), 3u);
  // Sorted by score, labels from id2label.
  EXPECT_GE(single[0]["score"].get<float>(), single[1]["score"].get<float>());
  for (const json& p : single) {
    const int64_t cls = p["label"] == "neg" ? 0 : p["label"] == "neu" ? 1 : 2;
    EXPECT_NEAR(p["score"].get<float>(), want.scores[static_cast<size_t>(cls)], 1e-6) << p;
  }
  json batch = post(c, "/predict", json{{"inputs", {{"good movie"}, {"is it?", "it is"}}}}.dump(), 200);
  ASSERT_EQ(batch.size(), 2u);
  for (const json& p : batch[1]) {
    const int64_t cls = p["label"] == "neg" ? 0 : p["label"] == "neu" ? 1 : 2;
    EXPECT_NEAR(p["score"].get<float>(), want.scores[static_cast<size_t>(3 + cls)], 1e-6) << p;
  }
  json raw = post(c, "/predict", json{{"inputs", {"is it?", "it is"}}, {"raw_scores", true}}.dump(), 200);
  for (const json& p : raw) {
    const int64_t cls = p["label"] == "neg" ? 0 : p["label"] == "neu" ? 1 : 2;
    EXPECT_NEAR(p["score"].get<float>(), want.logits[static_cast<size_t>(3 + cls)], 1e-6) << p;
  }
  expect_tei_error(post(c, "/predict", json{{"inputs", json::array({json::array({"a", 4})})}}.dump(), 422),
                   "inputs[0][1]");
  json info = json::parse(c.Get("/info")->body);
  EXPECT_EQ(info["model_type"]["classifier"]["id2label"]["2"], "pos");
}

TEST_F(ServerTest, TeiTokenizeInfoHealthAndMetrics) {
  Running s(*model_, {});
  auto c = s.client();
  json t = post(c, "/tokenize", json{{"inputs", {"Hello there"}}}.dump(), 200);
  const tok::Encoding e = model_->tokenizer().encode("Hello there");
  ASSERT_EQ(t[0].size(), e.input_ids.size());
  for (size_t i = 0; i < e.input_ids.size(); ++i) {
    EXPECT_EQ(t[0][i]["id"], e.input_ids[i]);
    EXPECT_EQ(t[0][i]["text"], e.tokens[i]);
    EXPECT_EQ(t[0][i]["special"], i == 0 || i + 1 == e.input_ids.size());
  }
  json plain = post(c, "/tokenize", json{{"inputs", "Hello there"}, {"add_special_tokens", false}}.dump(), 200);
  EXPECT_EQ(plain[0].size(), e.input_ids.size() - 2);

  auto h = c.Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  json info = json::parse(c.Get("/info")->body);
  EXPECT_EQ(info["max_input_length"], kLength);
  EXPECT_EQ(info["padding"], "max_length");
  EXPECT_EQ(info["model_type"]["embedding"]["pooling"], "cls");
  EXPECT_EQ(info["device"], model_->gpu_model()->device_info().name);
  for (const char* k : {"max_batch_tokens", "max_batch_requests", "max_client_batch_size", "version"})
    EXPECT_TRUE(info.contains(k)) << k;
  post(c, "/embed", json{{"inputs", "counted"}}.dump(), 200);
  const std::string m = c.Get("/metrics")->body;
  for (const char* line : {"m2vk_requests_total{route=\"/embed\",status=\"200\"} 1",
                           "m2vk_requests_total{route=\"/tokenize\",status=\"200\"} 2", "# TYPE m2vk_batch_size histogram",
                           "m2vk_batch_size_count 1", "m2vk_queue_depth 0", "m2vk_inference_seconds_count 1",
                           "m2vk_queue_seconds_count 1", "m2vk_inputs_total 1"})
    EXPECT_NE(m.find(line), std::string::npos) << line << "\n" << m;
}

TEST_F(ServerTest, OversizedBodyIs413AndTheServerKeepsServing) {
  server::ServerOptions o;
  o.payload_limit = 1000;
  Running s(*model_, o);
  auto c = s.client();
  const std::string big = json{{"inputs", std::string(5000, 'a')}}.dump();
  auto r = c.Post("/embed", big, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  expect_tei_error(json::parse(r->body), "payload-limit", "PayloadTooLarge");
  auto c2 = s.client();
  auto o2 = c2.Post("/v1/embeddings", big, "application/json");
  ASSERT_TRUE(o2);
  EXPECT_EQ(o2->status, 413);
  expect_openai_error(json::parse(o2->body), "payload-limit");
  auto c3 = s.client();
  post(c3, "/embed", json{{"inputs", "small"}}.dump(), 200);
}

// A forward-pass hook that holds the worker until released, so requests pile up deterministically.
struct Gate {
  std::mutex m;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> passes{0};
  void wait() {
    ++passes;
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return open; });
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(m);
      open = true;
    }
    cv.notify_all();
  }
};

TEST_F(ServerTest, OverTheConcurrencyLimitIs429WithRetryAfter) {
  auto gate = std::make_shared<Gate>();
  server::ServerOptions o;
  o.max_concurrent_requests = 1;
  o.before_forward = [gate](const Batch&) { gate->wait(); };
  Running s(*model_, o);
  auto first = std::async(std::launch::async, [&] {
    auto c = s.client();
    return c.Post("/embed", json{{"inputs", "held"}}.dump(), "application/json")->status;
  });
  while (gate->passes < 1) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto c = s.client();
  auto r = c.Post("/embed", json{{"inputs", "one too many"}}.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  expect_tei_error(json::parse(r->body), "max-concurrent-requests", "Overloaded");
  gate->release();
  EXPECT_EQ(first.get(), 200);
  post(c, "/embed", json{{"inputs", "after"}}.dump(), 200);
}

TEST_F(ServerTest, AnInferenceErrorFailsOnlyItsBatch) {
  const int32_t poison = *model_->tokenizer().token_to_id("explode");
  server::ServerOptions o;
  o.before_forward = [poison](const Batch& b) {
    for (int32_t id : b.input_ids)
      if (id == poison) throw std::runtime_error("injected failure");
  };
  Running s(*model_, o);
  auto c = s.client();
  json e = post(c, "/embed", json{{"inputs", "please explode"}}.dump(), 500);
  expect_tei_error(e, "injected failure", "Backend");
  json oe = post(c, "/v1/embeddings", json{{"model", "m"}, {"input", "explode"}}.dump(), 500);
  EXPECT_EQ(oe["error"]["type"], "server_error");
  const EmbedResult want = expected({"fine"});
  expect_close(post(c, "/embed", json{{"inputs", "fine"}, {"normalize", false}}.dump(), 200)[0].get<std::vector<float>>(),
               want, 0);
  EXPECT_NE(c.Get("/metrics")->body.find("m2vk_failed_batches_total 2"), std::string::npos);
}

TEST_F(ServerTest, ConcurrentRequestsAreBatchedAndEachGetsItsOwnResult) {
  auto gate = std::make_shared<Gate>();
  auto first_rows = std::make_shared<std::atomic<int64_t>>(0);
  server::ServerOptions o;
  o.max_batch_requests = 8;
  // The gate holds the first served pass, so the other requests queue behind it.
  o.before_forward = [gate, first_rows](const Batch& b) {
    if (gate->passes == 0) *first_rows = b.batch;
    gate->wait();
  };
  Running s(*model_, o);
  constexpr int kClients = 12;
  std::vector<std::string> texts;
  for (int i = 0; i < kClients; ++i) texts.push_back("concurrent request number " + std::to_string(i));
  const EmbedResult want = expected(texts);
  std::vector<std::future<json>> replies;
  for (int i = 0; i < kClients; ++i)
    replies.push_back(std::async(std::launch::async, [&, i] {
      auto c = s.client();
      auto r = c.Post("/v1/embeddings", json{{"model", "m"}, {"input", texts[static_cast<size_t>(i)]}}.dump(),
                      "application/json");
      return r && r->status == 200 ? json::parse(r->body) : json();
    }));
  // Every request is either in the held pass or queued.
  for (;;) {
    const int64_t held = gate->passes > 0 ? first_rows->load() : -1;
    if (held > 0 && s.client().Get("/metrics")->body.find("m2vk_queue_depth " + std::to_string(kClients - held) + "\n") !=
                        std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  gate->release();
  for (int i = 0; i < kClients; ++i) {
    json r = replies[static_cast<size_t>(i)].get();
    ASSERT_FALSE(r.is_null()) << "request " << i;
    expect_close(r["data"][0]["embedding"].get<std::vector<float>>(), want, i);
  }
  // The held pass, then the queued rows in passes of at most 8: fewer passes than requests.
  const int64_t passes = 1 + (kClients - first_rows->load() + 7) / 8;
  const std::string m = s.client().Get("/metrics")->body;
  EXPECT_NE(m.find("m2vk_batch_size_count " + std::to_string(passes) + "\n"), std::string::npos) << m;
  EXPECT_NE(m.find("m2vk_requests_total{route=\"/v1/embeddings\",status=\"200\"} 12"), std::string::npos) << m;
}

// Many clients connecting at the same moment: each connection is accepted and answered (Debian's
// httplib listens with a backlog of 5; before the server deepened it, every run of this test had
// connections reset).
TEST_F(ServerTest, ABurstOfNewConnectionsIsAllServed) {
  constexpr int kClients = 128;
  server::ServerOptions o;
  // Headroom over the burst: a slot is released after the reply is written, so a client of the
  // first round can be answered before the server thread has let go of it.
  o.max_concurrent_requests = 2 * kClients;
  Running s(*model_, o);
  const EmbedResult want = expected({"burst"});
  for (int round = 0; round < 2; ++round) {
    std::vector<std::future<std::string>> replies;
    for (int i = 0; i < kClients; ++i)
      replies.push_back(std::async(std::launch::async, [&] {
        auto c = s.client();
        auto r = c.Post("/v1/embeddings", R"({"model": "m", "input": "burst"})", "application/json");
        if (!r) return "no response: " + httplib::to_string(r.error());
        return r->status == 200 ? r->body : "HTTP " + std::to_string(r->status) + ": " + r->body;
      }));
    for (int i = 0; i < kClients; ++i) {
      const std::string body = replies[static_cast<size_t>(i)].get();
      const json r = json::parse(body, nullptr, false);
      ASSERT_TRUE(r.is_object() && r.contains("data")) << "round " << round << " client " << i << ": " << body;
      expect_close(r["data"][0]["embedding"].get<std::vector<float>>(), want, 0);
    }
  }
}

TEST_F(ServerTest, TokenBudgetBoundsEachPass) {
  server::ServerOptions o;
  o.max_batch_tokens = 3 * kLength;  // max_length padding: 3 rows of 32 per pass
  std::vector<int64_t> batches;
  std::mutex mu;
  o.before_forward = [&](const Batch& b) {
    std::lock_guard<std::mutex> lock(mu);
    batches.push_back(b.batch * b.length);
  };
  Running s(*model_, o);
  auto c = s.client();
  std::vector<std::string> texts(7, "seven inputs");
  json r = post(c, "/embed", json{{"inputs", texts}}.dump(), 200);
  EXPECT_EQ(r.size(), 7u);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(batches.size(), 3u);  // 3 + 3 + 1 (the warm-up pass runs before serving, without the hook)
  EXPECT_EQ(batches[0], 3 * kLength);
  EXPECT_EQ(batches[2], kLength);
}

TEST_F(ServerTest, ApiKeyGuardsEveryRouteButHealth) {
  server::ServerOptions o;
  o.api_key = "s3cret";
  Running s(*model_, o);
  auto c = s.client();
  expect_tei_error(post(c, "/embed", json{{"inputs", "x"}}.dump(), 401), "API key", "Unauthorized");
  json oe = post(c, "/v1/embeddings", json{{"model", "m"}, {"input", "x"}}.dump(), 401);
  EXPECT_EQ(oe["error"]["code"], "invalid_api_key");
  EXPECT_EQ(c.Get("/info")->status, 401);
  EXPECT_EQ(c.Get("/health")->status, 200);
  post(c, "/embed", json{{"inputs", "x"}}.dump(), 401, {{"Authorization", "Bearer wrong"}});
  post(c, "/embed", json{{"inputs", "x"}}.dump(), 200, {{"Authorization", "Bearer s3cret"}});
}

TEST_F(ServerTest, ClientsThatDisconnectCostTheOthersNothing) {
  Running s(*model_, {});
  const std::string body = json{{"inputs", {"gone", "before", "the", "answer"}}}.dump();
  for (int i = 0; i < 5; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(s.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    // Half a request, then a whole one, each abandoned before the answer.
    const std::string req = "POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + (i % 2 ? body : body.substr(0, 10));
    ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
    ::close(fd);
  }
  auto c = s.client();
  const EmbedResult want = expected({"after the disconnects"});
  expect_close(
      post(c, "/embed", json{{"inputs", "after the disconnects"}, {"normalize", false}}.dump(), 200)[0].get<std::vector<float>>(),
      want, 0);
}

TEST_F(ServerTest, ShutdownFinishesQueuedRequestsThenRefusesNewOnes) {
  auto gate = std::make_shared<Gate>();
  server::ServerOptions o;
  o.before_forward = [gate](const Batch&) { gate->wait(); };
  auto s = std::make_unique<Running>(*model_, o);
  auto pending = std::async(std::launch::async, [&] {
    auto c = s->client();
    auto r = c.Post("/embed", json{{"inputs", "queued before shutdown"}}.dump(), "application/json");
    return r ? r->status : -1;
  });
  while (gate->passes < 1) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto stopper = std::async(std::launch::async, [&] { s->server().shutdown(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto late = s->client().Post("/embed", json{{"inputs", "too late"}}.dump(), "application/json");
  if (late) {  // else refused outright: the listener has closed
    EXPECT_EQ(late->status, 503);
  }
  gate->release();
  EXPECT_EQ(pending.get(), 200);
  stopper.get();
  s.reset();
}

TEST(ServerOptions, BadOptionsAreNamed) {
  test::TempDir dir;
  write_demo_model(dir.path(), demo_config(DemoShape::Tiny, 64), 1);
  ModelLoadOptions lo;
  lo.device = Device::parse("cpu");
  const Model m = Model::load(dir.path(), lo);
  server::ServerOptions o;
  o.max_length = 1000;
  try {
    server::Server s(m, o);
    FAIL() << "max_length beyond l_max accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("max_length"), std::string::npos);
  }
  o.max_length = 32;
  o.max_batch_requests = 0;
  EXPECT_THROW(server::Server(m, o), std::invalid_argument);
}

}  // namespace
