#include <torch/torch.h>
// doctest after torch (see COMMON.md).
#include <sys/stat.h>

#include <cstring>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "framework/tensor_io/pth_reader.h"
#include "framework/tensor_io/safetensors.h"
#include "tests/unit/tensor_io/test_util.h"

using higgs::tensor_io::read_pth;
using higgs::tensor_io::read_pth_ordered;
using higgs::tensor_io_test::TempDir;

// One namespace for the whole file keeps its helpers apart from other tests in unity builds.
namespace pth_reader_test {

std::string make_fixture(const TempDir& dir, const std::string& mode,
                         const std::string& extra = "") {
  const std::string path = dir.file(mode + ".pth");
  auto r = higgs::tensor_io_test::run_python("write_pth.py", mode + " " + path + " " + extra);
  REQUIRE_MESSAGE(r.status == 0, r.output);
  return path;
}

// Compares tensors read in C++ with PATH.expected.{json,bin} written by the Python script.
void check_against_expected(const std::string& path,
                            const std::vector<std::pair<std::string, at::Tensor>>& got) {
  auto expected = nlohmann::json::parse(higgs::tensor_io_test::read_bytes(path + ".expected.json"));
  const std::string blob = higgs::tensor_io_test::read_bytes(path + ".expected.bin");
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const auto& e = expected[i];
    const std::string& name = got[i].first;
    const at::Tensor& t = got[i].second;
    CAPTURE(name);
    CHECK(name == e["name"].get<std::string>());  // file order is kept
    CHECK(higgs::tensor_io::safetensors_dtype_name(t.scalar_type()) == e["dtype"]);
    CHECK(t.sizes().vec() == e["shape"].get<std::vector<int64_t>>());
    CHECK(t.strides().vec() == e["stride"].get<std::vector<int64_t>>());
    at::Tensor c = t.contiguous();
    const size_t begin = e["begin"], end = e["end"];
    REQUIRE(static_cast<size_t>(c.numel() * c.element_size()) == end - begin);
    CHECK(std::memcmp(c.data_ptr(), blob.data() + begin, end - begin) == 0);
  }
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

TEST_CASE("tensor_io: pth state dict of a module reads bit for bit") {
  TempDir dir;
  const std::string path = make_fixture(dir, "module");
  auto got = read_pth_ordered(path);
  check_against_expected(path, got);
  auto m = read_pth(path);
  CHECK(m.size() == 11);
  // Tensors that shared a storage in Python share it here.
  CHECK(m.at("extra.tied").data_ptr() == m.at("lin.weight").data_ptr());
  CHECK(m.at("extra.row1").storage_offset() == 1);
  CHECK(m.at("extra.row1").storage().data() == m.at("extra.transposed").storage().data());
  CHECK(m.at("steps")[2].item<int64_t>() == (int64_t{1} << 40));
  CHECK_FALSE(m.at("extra.transposed").is_contiguous());  // kept as the saved view
  CHECK(m.at("extra.scalar").dim() == 0);
  CHECK(m.at("extra.scalar").item<float>() == 2.5f);
  CHECK(m.at("conv.weight_g").sizes().vec() == std::vector<int64_t>{3, 1, 1});
}

TEST_CASE("tensor_io: pth plain dict and nested state dict") {
  TempDir dir;
  SUBCASE("plain dict") {
    const std::string path = make_fixture(dir, "plain");
    auto got = read_pth_ordered(path);
    check_against_expected(path, got);
    CHECK(torch::equal(got[0].second, torch::arange(6, torch::kFloat).reshape({2, 3})));
  }
  SUBCASE("nested under a key") {
    const std::string path = make_fixture(dir, "nested");
    check_against_expected(path, read_pth_ordered(path, "state_dict"));
    CHECK(error_of([&] { read_pth(path); }) == path + ": entry 'epoch' is a int, not a tensor");
    CHECK(error_of([&] { read_pth(path, "model"); }) ==
          path +
              ": the saved dict has no key 'model' (keys: 'epoch', 'lr', 'big', 'tags', "
              "'state_dict')");
    CHECK(error_of([&] { read_pth(path, "lr"); }) ==
          path + ": the saved object['lr'] is a float, not a state dict (a dict of tensors)");
  }
}

TEST_CASE("tensor_io: pth with a dangerous global is refused and nothing runs") {
  TempDir dir;
  const std::string marker = dir.file("pwned");
  SUBCASE("hand-made data.pkl calling os.system") {
    const std::string path = make_fixture(dir, "evil", marker);
    CHECK(error_of([&] { read_pth(path); }) ==
          "refusing to load " + path +
              ": it names global 'os.system'; .pth files are pickles and only state dicts of "
              "tensors are accepted");
  }
  SUBCASE("object whose __reduce__ is os.system, saved by torch.save") {
    const std::string path = make_fixture(dir, "evil_reduce", marker);
    CHECK(error_of([&] { read_pth(path); }).find("it names global 'posix.system'") !=
          std::string::npos);
  }
  CHECK_FALSE(exists(marker));
}

TEST_CASE("tensor_io: legacy (pre-zip) torch.save files read bit-exact, views and ties kept") {
  TempDir dir;
  const std::string path = make_fixture(dir, "legacy");
  auto got = read_pth_ordered(path, "model_state");
  check_against_expected(path, got);
  std::map<std::string, at::Tensor> m(got.begin(), got.end());
  // Tied tensors share one storage, as in the zip format.
  CHECK(m["extra.tied"].data_ptr() == m["lin.weight"].data_ptr());
  const std::string marker = dir.file("pwned");
  const std::string evil = make_fixture(dir, "evil_legacy", marker);
  CHECK(error_of([&] { read_pth(evil); }).find("refusing to load") != std::string::npos);
  CHECK_FALSE(exists(marker));
}

TEST_CASE("tensor_io: pth reader rejects files that are not torch.save archives") {
  TempDir dir;
  const std::string st = dir.file("x.safetensors");
  higgs::tensor_io::save_safetensors(st, {{"a", torch::ones({2})}});
  CHECK(error_of([&] { read_pth(st); }) ==
        st + " is not a torch.save file (neither a zip archive nor a pickle)");

  // A pickle that is not torch.save's, and a legacy file cut short.
  const std::string pickle = dir.file("pickle.pth");
  higgs::tensor_io_test::write_bytes(pickle, std::string("\x80\x02K\x01.", 5));
  CHECK(error_of([&] { read_pth(pickle); }).find("not a torch.save file (no torch magic number)") !=
        std::string::npos);
  const std::string legacy = make_fixture(dir, "legacy");
  const std::string whole = higgs::tensor_io_test::read_bytes(legacy);
  const std::string cut_legacy = dir.file("cut-legacy.pth");
  higgs::tensor_io_test::write_bytes(cut_legacy, whole.substr(0, whole.size() - 10));
  CHECK(error_of([&] { read_pth(cut_legacy, "model_state"); }).find("truncated") !=
        std::string::npos);

  CHECK(error_of([&] { read_pth(dir.file("missing.pth")); }) ==
        "cannot open " + dir.file("missing.pth"));

  const std::string jit = make_fixture(dir, "jit");
  CHECK(error_of([&] { read_pth(jit); }) ==
        jit +
            " is a TorchScript archive (torch.jit.save), not a state dict; load it with "
            "torch::jit::load");

  // A truncated archive: the zip directory at the end is gone.
  const std::string good = make_fixture(dir, "plain");
  const std::string bytes = higgs::tensor_io_test::read_bytes(good);
  const std::string cut = dir.file("cut.pth");
  higgs::tensor_io_test::write_bytes(cut, bytes.substr(0, bytes.size() / 2));
  CHECK(error_of([&] { read_pth(cut); }).find("cannot read " + cut + " as a torch.save archive") ==
        0);
}

}  // namespace pth_reader_test
