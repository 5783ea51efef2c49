#include <torch/torch.h>
// doctest after torch (see COMMON.md).
#include <doctest/doctest.h>

#include "framework/tensor_io/restricted_unpickler.h"

using higgs::tensor_io::PickleValue;
using Kind = higgs::tensor_io::PickleValue::Kind;

namespace {

// Pickle building blocks, written out by hand from the pickle protocol.
std::string unicode(const std::string& s) {
  uint32_t n = static_cast<uint32_t>(s.size());
  return "X" + std::string(reinterpret_cast<const char*>(&n), 4) + s;
}
std::string int1(uint8_t v) { return std::string("K") + static_cast<char>(v); }

// {"t": _rebuild_tensor_v2(storage "0" of 4 floats, offset, (size,), (1,), False, None)}
std::string tensor_pickle(uint8_t offset, uint8_t size) {
  return std::string("\x80\x02}") + unicode("t") + "ctorch._utils\n_rebuild_tensor_v2\n((" +
         unicode("storage") + "ctorch\nFloatStorage\n" + unicode("0") + unicode("cpu") + int1(4) +
         "tQ" + int1(offset) + int1(size) + "\x85" + int1(1) + "\x85\x89Nt" + "Rs.";
}

std::unique_ptr<higgs::tensor_io::PickleDocument> unpickle(const std::string& bytes) {
  higgs::tensor_io::StorageLoader load = [](const std::string& key, at::ScalarType dtype,
                                            int64_t numel) {
    CHECK(key == "0");
    CHECK((dtype == at::kFloat));
    return torch::arange(numel, torch::kFloat);
  };
  return higgs::tensor_io::unpickle_restricted(reinterpret_cast<const uint8_t*>(bytes.data()),
                                               bytes.size(), load, "x.pth");
}

std::string error_of(const std::string& bytes) {
  try {
    unpickle(bytes);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("tensor_io: restricted unpickler builds tensors from storages") {
  auto doc = unpickle(tensor_pickle(2, 2));
  REQUIRE(doc->root->kind == Kind::Dict);
  REQUIRE(doc->root->dict.size() == 1);
  const PickleValue& t = *doc->root->dict[0].second;
  REQUIRE(t.kind == Kind::Tensor);
  CHECK(torch::equal(t.tensor, torch::tensor({2.0f, 3.0f})));

  CHECK(error_of(tensor_pickle(2, 3)) ==
        "file x.pth: data.pkl at byte 105: tensor of size [3], stride [1] at offset 2 reaches past "
        "its storage of 4 elements");
}

TEST_CASE("tensor_io: restricted unpickler scalars, errors and cycles") {
  SUBCASE("LONG1, BININT, BINFLOAT") {
    // [-2**40, -5, 0.5]
    std::string p = std::string("\x80\x02](\x8a\x06", 6) + std::string("\0\0\0\0\0\xff", 6) + "J" +
                    std::string("\xfb\xff\xff\xff", 4) + "G" +
                    std::string("\x3f\xe0\0\0\0\0\0\0", 8) + "e.";
    auto doc = unpickle(p);
    REQUIRE(doc->root->kind == Kind::List);
    REQUIRE(doc->root->items.size() == 3);
    CHECK(doc->root->items[0]->integer == -(int64_t{1} << 40));
    CHECK(doc->root->items[1]->integer == -5);
    CHECK(doc->root->items[2]->real == 0.5);
  }
  SUBCASE("a dict holding itself is freed with its document") {
    auto doc = unpickle("}22s.");  // d = {}; d[d] = d
    CHECK(doc->root->dict[0].second == doc->root);
  }
  SUBCASE("malformed pickles") {
    CHECK(error_of("\x80\x02}") ==
          "file x.pth: data.pkl at byte 3: the pickle ends in the middle "
          "of an opcode");
    CHECK(error_of("\x80\x02I0\n.") ==
          "file x.pth: data.pkl at byte 2: unsupported pickle opcode 0x49 (this reader accepts "
          "only what torch.save writes for a state dict)");
    CHECK(error_of("\x80\x02h\x07.") ==
          "file x.pth: data.pkl at byte 2: memo entry 7 does not "
          "exist");
    CHECK(error_of("\x80\x02s.") == "file x.pth: data.pkl at byte 2: pickle stack underflow");
    CHECK(error_of("\x80\x02"
                   "cbuiltins\neval\n.") ==
          "refusing to load x.pth: it names global 'builtins.eval'; .pth files are pickles and "
          "only state dicts of tensors are accepted");
  }
}
