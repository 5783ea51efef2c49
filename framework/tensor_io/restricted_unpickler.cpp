#include <torch/torch.h>

#include "framework/tensor_io/restricted_unpickler.h"

#include <cstring>
#include <map>
#include <stdexcept>

namespace higgs::tensor_io {
namespace {

using Kind = PickleValue::Kind;

// torch.save names storages by their legacy typed class.
const std::map<std::string, at::ScalarType>& storage_types() {
  static const std::map<std::string, at::ScalarType> m = {
      {"torch.FloatStorage", at::kFloat}, {"torch.DoubleStorage", at::kDouble},
      {"torch.HalfStorage", at::kHalf},   {"torch.BFloat16Storage", at::kBFloat16},
      {"torch.LongStorage", at::kLong},   {"torch.IntStorage", at::kInt},
      {"torch.ShortStorage", at::kShort}, {"torch.CharStorage", at::kChar},
      {"torch.ByteStorage", at::kByte},   {"torch.BoolStorage", at::kBool}};
  return m;
}

bool allowed_global(const std::string& name) {
  return name == "collections.OrderedDict" || name == "torch._utils._rebuild_tensor_v2" ||
         name == "torch._utils._rebuild_parameter" || storage_types().count(name) > 0;
}

class Unpickler {
 public:
  Unpickler(PickleDocument* doc, const uint8_t* data, size_t size, const StorageLoader& load,
            const std::string& source)
      : doc_(doc), p_(data), end_(data + size), begin_(data), load_(load), source_(source) {}

  PickleValuePtr run();
  /// Bytes read so far (after run(): up to and including STOP).
  size_t consumed() const { return static_cast<size_t>(p_ - begin_); }

 private:
  PickleValuePtr make(Kind k) {
    doc_->arena.push_back(std::make_unique<PickleValue>());
    doc_->arena.back()->kind = k;
    return doc_->arena.back().get();
  }
  [[noreturn]] void fail(const std::string& msg) const {
    throw std::runtime_error("file " + source_ + ": data.pkl at byte " + std::to_string(op_pos_) +
                             ": " + msg);
  }
  const uint8_t* take(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) fail("the pickle ends in the middle of an opcode");
    const uint8_t* at = p_;
    p_ += n;
    return at;
  }
  template <typename T>
  T read_le() {
    T v;
    std::memcpy(&v, take(sizeof(T)), sizeof(T));
    return v;
  }
  std::string read_line() {
    const uint8_t* nl = static_cast<const uint8_t*>(std::memchr(p_, '\n', end_ - p_));
    if (nl == nullptr) fail("unterminated GLOBAL name");
    std::string s(reinterpret_cast<const char*>(p_), nl - p_);
    p_ = nl + 1;
    return s;
  }
  PickleValuePtr pop() {
    if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail("pickle stack underflow");
    auto v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  PickleValuePtr& top() {
    if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail("pickle stack underflow");
    return stack_.back();
  }
  std::vector<PickleValuePtr> pop_to_mark() {
    if (marks_.empty()) fail("pickle MARK missing");
    size_t m = marks_.back();
    marks_.pop_back();
    std::vector<PickleValuePtr> out(std::make_move_iterator(stack_.begin() + m),
                                    std::make_move_iterator(stack_.end()));
    stack_.resize(m);
    return out;
  }
  void push_int(int64_t v) {
    auto x = make(Kind::Int);
    x->integer = v;
    stack_.push_back(x);
  }
  void push_string(std::string s) {
    auto x = make(Kind::String);
    x->text = std::move(s);
    stack_.push_back(x);
  }
  void push_global(const std::string& module, const std::string& name);
  void set_item(PickleValue& d, PickleValuePtr key, PickleValuePtr value);
  void memo_put(uint64_t i) { memo_[i] = top(); }
  void memo_get(uint64_t i) {
    auto it = memo_.find(i);
    if (it == memo_.end()) fail("memo entry " + std::to_string(i) + " does not exist");
    stack_.push_back(it->second);
  }
  PickleValuePtr reduce(const PickleValue& callable, const PickleValue& args);
  PickleValuePtr persistent_load(const PickleValue& pid);
  PickleValuePtr rebuild_tensor(const PickleValue& args);
  int64_t as_int(const PickleValuePtr& v, const char* what) {
    if (!v || v->kind != Kind::Int) fail(std::string(what) + " is not an int");
    return v->integer;
  }
  std::vector<int64_t> as_ints(const PickleValuePtr& v, const char* what) {
    if (!v || v->kind != Kind::Tuple) fail(std::string(what) + " is not a tuple");
    std::vector<int64_t> out;
    for (const auto& x : v->items) out.push_back(as_int(x, what));
    return out;
  }

  PickleDocument* doc_;
  const uint8_t* p_;
  const uint8_t* end_;
  const uint8_t* begin_;
  size_t op_pos_ = 0;
  const StorageLoader& load_;
  const std::string& source_;
  std::vector<PickleValuePtr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleValuePtr> memo_;
  std::map<std::string, PickleValuePtr> storages_;
};

void Unpickler::push_global(const std::string& module, const std::string& name) {
  const std::string full = module + "." + name;
  if (!allowed_global(full))
    throw std::runtime_error("refusing to load " + source_ + ": it names global '" + full +
                             "'; .pth files are pickles and only state dicts of tensors are "
                             "accepted");
  auto g = make(Kind::Global);
  g->text = full;
  stack_.push_back(g);
}

void Unpickler::set_item(PickleValue& d, PickleValuePtr key, PickleValuePtr value) {
  if (d.kind != Kind::Dict) fail("SETITEM on a " + d.kind_name() + ", not a dict");
  if (key->kind == Kind::String) {
    auto it = d.string_keys.find(key->text);
    if (it != d.string_keys.end()) {
      d.dict[it->second].second = std::move(value);
      return;
    }
    d.string_keys[key->text] = d.dict.size();
  }
  d.dict.emplace_back(std::move(key), std::move(value));
}

PickleValuePtr Unpickler::persistent_load(const PickleValue& pid) {
  // ('storage', <storage class>, key, location, numel); the legacy format adds a sixth item,
  // view metadata, which torch.save writes as None (views of storages are not supported).
  const bool legacy = pid.kind == Kind::Tuple && pid.items.size() == 6;
  if (pid.kind != Kind::Tuple || (pid.items.size() != 5 && !legacy) ||
      pid.items[0]->kind != Kind::String || pid.items[0]->text != "storage" ||
      pid.items[1]->kind != Kind::Global || pid.items[2]->kind != Kind::String)
    fail("persistent id is not a ('storage', type, key, location, numel) tuple");
  if (legacy && pid.items[5]->kind != Kind::None)
    fail("a legacy storage view (persistent id with view metadata) is not supported");
  auto st = storage_types().find(pid.items[1]->text);
  if (st == storage_types().end()) fail(pid.items[1]->text + " is not a storage type");
  const std::string& key = pid.items[2]->text;
  const int64_t numel = as_int(pid.items[4], "storage size");
  if (numel < 0) fail("negative storage size");
  auto cached = storages_.find(key);
  if (cached != storages_.end()) {
    if (cached->second->tensor.scalar_type() != st->second)
      fail("storage " + key + " is used with two dtypes");
    return cached->second;
  }
  auto v = make(Kind::Storage);
  v->tensor = load_(key, st->second, numel);
  storages_[key] = v;
  return v;
}

PickleValuePtr Unpickler::rebuild_tensor(const PickleValue& args) {
  // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  if (args.items.size() < 4 || args.items[0]->kind != Kind::Storage)
    fail("_rebuild_tensor_v2 arguments are not (storage, offset, size, stride, ...)");
  const at::Tensor& storage = args.items[0]->tensor;
  const int64_t offset = as_int(args.items[1], "storage offset");
  const auto size = as_ints(args.items[2], "tensor size");
  const auto stride = as_ints(args.items[3], "tensor stride");
  if (size.size() != stride.size()) fail("tensor size and stride differ in length");
  if (offset < 0) fail("negative storage offset");
  int64_t last = offset;  // index of the last element reached
  bool empty = false;
  for (size_t i = 0; i < size.size(); ++i) {
    if (size[i] < 0 || stride[i] < 0) fail("negative tensor size or stride");
    if (size[i] == 0) empty = true;
  }
  if (empty) {
    auto v = make(Kind::Tensor);
    v->tensor = at::empty(size, storage.options());
    return v;
  }
  for (size_t i = 0; i < size.size(); ++i) {
    int64_t reach;
    if (__builtin_mul_overflow(size[i] - 1, stride[i], &reach) ||
        __builtin_add_overflow(last, reach, &last))
      fail("tensor size and stride overflow");
  }
  if (last >= storage.numel())
    fail("tensor of size " + c10::str(at::IntArrayRef(size)) + ", stride " +
         c10::str(at::IntArrayRef(stride)) + " at offset " + std::to_string(offset) +
         " reaches past its storage of " + std::to_string(storage.numel()) + " elements");
  auto v = make(Kind::Tensor);
  v->tensor = storage.as_strided(size, stride, offset);
  return v;
}

PickleValuePtr Unpickler::reduce(const PickleValue& callable, const PickleValue& args) {
  if (callable.kind != Kind::Global) fail("REDUCE on a " + callable.kind_name());
  if (args.kind != Kind::Tuple) fail("REDUCE arguments are not a tuple");
  if (callable.text == "collections.OrderedDict") {
    if (!args.items.empty()) fail("OrderedDict built with arguments");
    return make(Kind::Dict);
  }
  if (callable.text == "torch._utils._rebuild_tensor_v2") return rebuild_tensor(args);
  if (callable.text == "torch._utils._rebuild_parameter") {
    if (args.items.empty() || args.items[0]->kind != Kind::Tensor)
      fail("_rebuild_parameter without a tensor");
    return args.items[0];
  }
  fail("cannot call " + callable.text);
}

PickleValuePtr Unpickler::run() {
  while (true) {
    op_pos_ = static_cast<size_t>(p_ - begin_);
    const uint8_t op = *take(1);
    switch (op) {
      case 0x80: {  // PROTO
        uint8_t v = *take(1);
        if (v > 5) fail("pickle protocol " + std::to_string(v) + " is not supported");
        break;
      }
      case 0x95:
        take(8);
        break;     // FRAME: framing is irrelevant when the whole pickle is here
      case 'c': {  // GLOBAL
        std::string module = read_line();
        std::string name = read_line();
        push_global(module, name);
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        auto name = pop(), module = pop();
        if (name->kind != Kind::String || module->kind != Kind::String)
          fail("STACK_GLOBAL names are not strings");
        push_global(module->text, name->text);
        break;
      }
      case 'Q': {  // BINPERSID
        auto pid = pop();
        stack_.push_back(persistent_load(*pid));
        break;
      }
      case '(':
        marks_.push_back(stack_.size());
        break;     // MARK
      case 't': {  // TUPLE
        auto t = make(Kind::Tuple);
        t->items = pop_to_mark();
        stack_.push_back(t);
        break;
      }
      case ')':
        stack_.push_back(make(Kind::Tuple));
        break;  // EMPTY_TUPLE
      case 0x85:
      case 0x86:
      case 0x87: {  // TUPLE1..3
        auto t = make(Kind::Tuple);
        t->items.resize(op - 0x84);
        for (size_t i = t->items.size(); i-- > 0;) t->items[i] = pop();
        stack_.push_back(t);
        break;
      }
      case '}':
        stack_.push_back(make(Kind::Dict));
        break;  // EMPTY_DICT
      case ']':
        stack_.push_back(make(Kind::List));
        break;     // EMPTY_LIST
      case 'l': {  // LIST
        auto l = make(Kind::List);
        l->items = pop_to_mark();
        stack_.push_back(l);
        break;
      }
      case 'd': {  // DICT
        auto items = pop_to_mark();
        if (items.size() % 2) fail("DICT with an odd number of items");
        auto d = make(Kind::Dict);
        for (size_t i = 0; i < items.size(); i += 2) set_item(*d, items[i], items[i + 1]);
        stack_.push_back(d);
        break;
      }
      case 'a': {  // APPEND
        auto v = pop();
        if (top()->kind != Kind::List) fail("APPEND to a " + top()->kind_name());
        top()->items.push_back(v);
        break;
      }
      case 'e': {  // APPENDS
        auto items = pop_to_mark();
        if (top()->kind != Kind::List) fail("APPENDS to a " + top()->kind_name());
        for (auto& v : items) top()->items.push_back(std::move(v));
        break;
      }
      case 's': {  // SETITEM
        auto value = pop(), key = pop();
        set_item(*top(), key, value);
        break;
      }
      case 'u': {  // SETITEMS
        auto items = pop_to_mark();
        if (items.size() % 2) fail("SETITEMS with an odd number of items");
        PickleValuePtr d = top();
        for (size_t i = 0; i < items.size(); i += 2) set_item(*d, items[i], items[i + 1]);
        break;
      }
      case 'b': {  // BUILD: only the _metadata attribute of a state dict, which is dropped
        auto state = pop();
        if (top()->kind != Kind::Dict) fail("BUILD on a " + top()->kind_name());
        break;
      }
      case 'R': {  // REDUCE
        auto args = pop(), callable = pop();
        stack_.push_back(reduce(*callable, *args));
        break;
      }
      case 'q':
        memo_put(*take(1));
        break;  // BINPUT
      case 'r':
        memo_put(read_le<uint32_t>());
        break;  // LONG_BINPUT
      case 0x94:
        memo_put(memo_.size());
        break;  // MEMOIZE
      case 'h':
        memo_get(*take(1));
        break;  // BINGET
      case 'j':
        memo_get(read_le<uint32_t>());
        break;  // LONG_BINGET
      case 'J':
        push_int(read_le<int32_t>());
        break;  // BININT
      case 'K':
        push_int(*take(1));
        break;  // BININT1
      case 'M':
        push_int(read_le<uint16_t>());
        break;      // BININT2
      case 0x8a: {  // LONG1
        const uint8_t n = *take(1);
        if (n > 8) fail("integer wider than 64 bits");
        const uint8_t* b = take(n);
        uint64_t v = 0;
        for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(b[i]) << (8 * i);
        if (n > 0 && n < 8 && (b[n - 1] & 0x80)) v |= ~uint64_t{0} << (8 * n);  // sign-extend
        push_int(static_cast<int64_t>(v));
        break;
      }
      case 'G': {  // BINFLOAT, big-endian
        const uint8_t* b = take(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | b[i];
        auto x = make(Kind::Float);
        std::memcpy(&x->real, &bits, 8);
        stack_.push_back(x);
        break;
      }
      case 'X': {  // BINUNICODE
        uint32_t n = read_le<uint32_t>();
        push_string(std::string(reinterpret_cast<const char*>(take(n)), n));
        break;
      }
      case 0x8d: {  // BINUNICODE8
        uint64_t n = read_le<uint64_t>();
        push_string(std::string(reinterpret_cast<const char*>(take(n)), n));
        break;
      }
      case 0x8c: {  // SHORT_BINUNICODE
        uint8_t n = *take(1);
        push_string(std::string(reinterpret_cast<const char*>(take(n)), n));
        break;
      }
      case 0x88:
      case 0x89: {  // NEWTRUE, NEWFALSE
        auto x = make(Kind::Bool);
        x->boolean = op == 0x88;
        stack_.push_back(x);
        break;
      }
      case 'N':
        stack_.push_back(make(Kind::None));
        break;  // NONE
      case '0':
        pop();
        break;  // POP
      case '1':
        pop_to_mark();
        break;     // POP_MARK
      case '2': {  // DUP
        PickleValuePtr v = top();
        stack_.push_back(v);
        break;
      }
      case '.': {  // STOP
        auto result = pop();
        return result;
      }
      default: {
        char hex[8];
        std::snprintf(hex, sizeof(hex), "0x%02x", op);
        fail(std::string("unsupported pickle opcode ") + hex +
             " (this reader accepts only what torch.save writes for a state dict)");
      }
    }
  }
}

}  // namespace

std::string PickleValue::kind_name() const {
  switch (kind) {
    case Kind::None:
      return "None";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "str";
    case Kind::Tuple:
      return "tuple";
    case Kind::List:
      return "list";
    case Kind::Dict:
      return "dict";
    case Kind::Global:
      return "global " + text;
    case Kind::Storage:
      return "storage";
    case Kind::Tensor:
      return "tensor";
  }
  return "?";
}

std::unique_ptr<PickleDocument> unpickle_restricted(const uint8_t* data, size_t size,
                                                    const StorageLoader& load,
                                                    const std::string& source, size_t* consumed) {
  auto doc = std::make_unique<PickleDocument>();
  Unpickler u(doc.get(), data, size, load, source);
  doc->root = u.run();
  if (consumed) *consumed = u.consumed();
  return doc;
}

}  // namespace higgs::tensor_io
