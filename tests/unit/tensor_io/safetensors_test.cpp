#include <torch/torch.h>
// doctest after torch (see COMMON.md: glog's CHECK would replace doctest's).
#include <cstring>

#include <doctest/doctest.h>

#include "framework/tensor_io/safetensors.h"
#include "tests/unit/tensor_io/test_util.h"

using higgs::tensor_io::SafetensorsFile;
using higgs::tensor_io_test::TempDir;

namespace {

// The reference tensors of tests/python/write_safetensors.py, computed independently here.
torch::Tensor reference_tensor(const std::string& name) {
  struct Spec {
    torch::ScalarType dtype;
    std::vector<int64_t> shape;
  };
  static const std::map<std::string, Spec> specs = {
      {"u8", {torch::kByte, {6}}},     {"f32", {torch::kFloat, {3, 5}}},
      {"f16", {torch::kHalf, {4, 2}}}, {"bf16", {torch::kBFloat16, {2, 3, 2}}},
      {"f64", {torch::kDouble, {3}}},  {"i64", {torch::kLong, {7}}},
      {"i32", {torch::kInt, {5}}},     {"flags", {torch::kBool, {5}}},
      {"scalar", {torch::kFloat, {}}}, {"empty", {torch::kFloat, {0, 3}}}};
  const Spec& s = specs.at(name);
  int64_t n = 1;
  for (auto d : s.shape) n *= d;
  if (name == "i64" || name == "i32" || name == "u8" || name == "flags") {
    std::vector<int64_t> v(n);
    for (int64_t i = 0; i < n; ++i)
      v[i] = name == "i64"   ? i * 1000003 - (int64_t{1} << 40)
             : name == "i32" ? i * 7919 - 100000
             : name == "u8"  ? (i * 37) % 256
                             : (i % 3 == 0);
    return torch::tensor(v, torch::kLong).to(s.dtype).reshape(s.shape);
  }
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = (i % 251) * 0.25 - 30.0;
  return torch::tensor(v, torch::kDouble).to(s.dtype).reshape(s.shape);
}

const std::vector<std::string> kReferenceNames = {"u8",  "f32", "f16",   "bf16",   "f64",
                                                  "i64", "i32", "flags", "scalar", "empty"};

bool inside(const SafetensorsFile& f, const torch::Tensor& t) {
  auto p = static_cast<const uint8_t*>(t.data_ptr());
  return p >= f.image_data() && p < f.image_data() + f.image_size();
}

// A file image with a hand-written header (and padding to 8) followed by `data_bytes` zero bytes.
std::string image(const std::string& header, size_t data_bytes) {
  std::string h = header;
  h.append((8 - h.size() % 8) % 8, ' ');
  uint64_t n = h.size();
  std::string out(reinterpret_cast<const char*>(&n), 8);
  return out + h + std::string(data_bytes, '\0');
}

std::string parse_error(const std::string& bytes) {
  try {
    SafetensorsFile::from_buffer(bytes.data(), bytes.size(), "bad.safetensors");
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("tensor_io: safetensors round trip is bit exact") {
  TempDir dir;
  torch::manual_seed(7);
  std::map<std::string, at::Tensor> in = {
      {"w.f32", torch::randn({4, 3})},
      {"w.f16", torch::randn({5}).to(torch::kHalf)},
      {"w.bf16", torch::randn({2, 2, 3}).to(torch::kBFloat16)},
      {"buf.i64", torch::arange(-3, 9, torch::kLong) * int64_t{123456789012}},
      {"scalar", torch::tensor(3.25f).reshape({})},
      {"empty", torch::empty({0, 4})},
      {"transposed", torch::arange(12, torch::kFloat).reshape({3, 4}).t()},
      {"flags", torch::tensor({1, 0, 1}).to(torch::kBool)}};
  const std::string path = dir.file("a.safetensors");
  higgs::tensor_io::save_safetensors(path, in, {{"format", "pt"}, {"step", "12"}});

  auto f = SafetensorsFile::open(path);
  CHECK(f.metadata() == std::map<std::string, std::string>{{"format", "pt"}, {"step", "12"}});
  CHECK(f.names().size() == in.size());
  for (const auto& kv : in) {
    const std::string& name = kv.first;  // not a structured binding: CAPTURE needs a variable
    const at::Tensor& t = kv.second;
    CAPTURE(name);
    at::Tensor got = f.tensor(name);
    CHECK((got.scalar_type() == t.scalar_type()));
    CHECK((got.sizes() == t.sizes()));
    CHECK(f.info(name).shape == t.sizes().vec());
    // Bitwise: compare the raw bytes, not the values.
    at::Tensor a = got.contiguous().view(-1), b = t.contiguous().view(-1);
    REQUIRE(a.numel() == b.numel());
    if (a.numel() > 0)
      CHECK(std::memcmp(a.data_ptr(), b.data_ptr(), a.numel() * a.element_size()) == 0);
  }
  CHECK(f.tensor("scalar").dim() == 0);
  CHECK(f.tensor("scalar").item<float>() == 3.25f);
  CHECK(f.tensor("transposed")[1][2].item<float>() == 9.0f);  // element (2,1) of the original
  CHECK_FALSE(higgs::tensor_io_test::read_bytes(path + ".tmp").size() >
              0);  // the temp file is gone

  // The header is padded to 8 bytes and 8-byte dtypes come first, like the Python library.
  std::string bytes = higgs::tensor_io_test::read_bytes(path);
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  CHECK(n % 8 == 0);
  CHECK(bytes.substr(8, 16) == "{\"__metadata__\":");
  CHECK(bytes.find("\"buf.i64\":{\"dtype\":\"I64\",\"shape\":[12],\"data_offsets\":[0,96]}") !=
        std::string::npos);
}

TEST_CASE("tensor_io: safetensors tensors are zero-copy views of the mapping") {
  TempDir dir;
  const std::string path = dir.file("z.safetensors");
  at::Tensor w = torch::arange(1000, torch::kFloat).reshape({10, 100});
  higgs::tensor_io::save_safetensors(path, {{"w", w}, {"b", torch::ones({3}, torch::kHalf)}});
  at::Tensor kept;
  {
    auto f = SafetensorsFile::open(path);
    kept = f.tensor("w");
    CHECK(inside(f, kept));
    CHECK(inside(f, f.tensor("b")));
  }
  // The tensor holds the mapping alive after the file object is gone.
  CHECK(torch::equal(kept, w));
  // Writes go to private pages, never to the file.
  kept.mul_(2);
  CHECK(torch::equal(SafetensorsFile::open(path).tensor("w"), w));
}

TEST_CASE("tensor_io: safetensors file from an independent Python writer reads back equal") {
  TempDir dir;
  for (bool unaligned : {false, true}) {
    CAPTURE(unaligned);
    const std::string path = dir.file(unaligned ? "u.safetensors" : "a.safetensors");
    auto r = higgs::tensor_io_test::run_python("write_safetensors.py",
                                               "write " + path + (unaligned ? " --unaligned" : ""));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    auto f = SafetensorsFile::open(path);
    CHECK(f.metadata().at("writer") == "python");
    CHECK(f.names().size() == kReferenceNames.size());
    for (const auto& name : kReferenceNames) {
      CAPTURE(name);
      at::Tensor got = f.tensor(name);
      at::Tensor want = reference_tensor(name);
      CHECK((got.scalar_type() == want.scalar_type()));
      CHECK((got.sizes() == want.sizes()));
      CHECK(torch::equal(got, want));
    }
    // Unaligned mode puts the 6-byte u8 tensor first at an odd data start, so the f32 tensor
    // cannot be a view and must have been copied.
    if (unaligned) CHECK_FALSE(inside(f, f.tensor("f32")));
    if (!unaligned) CHECK(inside(f, f.tensor("f32")));
  }
}

TEST_CASE("tensor_io: safetensors file written by C++ is read by the Python reader") {
  TempDir dir;
  std::map<std::string, at::Tensor> tensors;
  for (const auto& name : kReferenceNames) tensors[name] = reference_tensor(name);
  const std::string path = dir.file("cpp.safetensors");
  higgs::tensor_io::save_safetensors(path, tensors, {{"format", "pt"}, {"writer", "cpp"}});
  auto r = higgs::tensor_io_test::run_python("write_safetensors.py", "check " + path);
  CHECK_MESSAGE(r.status == 0, r.output);
  CHECK(r.output == "OK 10 tensors metadata={\"format\": \"pt\", \"writer\": \"cpp\"}\n");

  // And a wrong value is noticed by the Python side (the check can fail).
  tensors["i64"] = reference_tensor("i64") + 1;
  higgs::tensor_io::save_safetensors(path, tensors);
  r = higgs::tensor_io_test::run_python("write_safetensors.py", "check " + path);
  CHECK(r.status != 0);
  CHECK(r.output.find("i64: values differ") != std::string::npos);
}

TEST_CASE("tensor_io: corrupt safetensors files give errors naming file and tensor") {
  TempDir dir;
  const std::string path = dir.file("t.safetensors");
  higgs::tensor_io::save_safetensors(path, {{"layer.weight", torch::ones({4, 4})}});
  std::string good = higgs::tensor_io_test::read_bytes(path);

  SUBCASE("truncated") {
    higgs::tensor_io_test::write_bytes(path, good.substr(0, good.size() - 10));
    std::string msg;
    try {
      SafetensorsFile::open(path);
    } catch (const std::exception& e) {
      msg = e.what();
    }
    CHECK(msg.find("file " + path + ": tensor layer.weight: data offsets [0,64) exceed file size " +
                   std::to_string(good.size() - 10)) == 0);
    CHECK(msg.find("the file is truncated or corrupt") != std::string::npos);
  }
  SUBCASE("bad header length") {
    std::string bad = good;
    uint64_t n = 1ULL << 40;
    std::memcpy(&bad[0], &n, 8);
    CHECK(parse_error(bad).find("file bad.safetensors: header length 1099511627776 exceeds the "
                                "file size") == 0);
  }
  SUBCASE("too short") { CHECK(parse_error("abc").find("only 3 bytes") != std::string::npos); }
  SUBCASE("overlapping offsets") {
    auto bad = image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                     R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                     12);
    CHECK(parse_error(bad) ==
          "file bad.safetensors: tensors a [0,8) and b [4,12) overlap: the file is corrupt");
  }
  SUBCASE("unknown dtype") {
    auto bad = image(R"({"q":{"dtype":"Q4","shape":[2],"data_offsets":[0,1]}})", 1);
    CHECK(parse_error(bad).find("file bad.safetensors: tensor q: unknown dtype \"Q4\"") == 0);
  }
  SUBCASE("shape does not match the byte length") {
    auto bad = image(R"({"w":{"dtype":"BF16","shape":[3],"data_offsets":[0,4]}})", 4);
    CHECK(parse_error(bad) ==
          "file bad.safetensors: tensor w: data offsets [0,4) hold 4 bytes but shape [3] of BF16 "
          "needs 6 bytes");
  }
  SUBCASE("duplicate name, malformed fields, bad JSON") {
    CHECK(parse_error(image(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                            R"("w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                            2))
              .find("tensor w appears twice") != std::string::npos);
    CHECK(parse_error(image(R"({"w":{"dtype":"U8","shape":[-1],"data_offsets":[0,1]}})", 1))
              .find("must hold non-negative integers") != std::string::npos);
    CHECK(parse_error(image(R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[1,0]}})", 1))
              .find("end before they begin") != std::string::npos);
    CHECK(parse_error(image(R"({"__metadata__":{"n":1}})", 0)).find("is not a string") !=
          std::string::npos);
    CHECK(parse_error(image(R"({"w":)", 0)).find("the JSON header does not parse") !=
          std::string::npos);
    CHECK(parse_error(image(R"([1,2])", 0)).find("does not start with '{'") != std::string::npos);
  }
  SUBCASE("missing tensor name") {
    auto f = SafetensorsFile::open(path);
    std::string msg;
    try {
      f.tensor("layer.bias");
    } catch (const std::exception& e) {
      msg = e.what();
    }
    CHECK(msg == "file " + path + ": no tensor named layer.bias (the file has 1 tensors)");
  }
}
