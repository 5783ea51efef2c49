#include <torch/torch.h>

#include "components/models/higgs_audio/audio_placeholders.h"

#include <stdexcept>
#include <string>
#include <vector>

namespace higgs::higgs_audio {
namespace {

// Run lengths from start offsets; empty when the stream is absent.
std::vector<int64_t> run_lengths(const at::Tensor& starts, int64_t columns, const char* what) {
  std::vector<int64_t> out;
  if (!starts.defined() || columns == 0 || starts.numel() == 0) return out;
  auto s = starts.to(torch::kCPU, torch::kInt64).contiguous();
  const int64_t* p = s.data_ptr<int64_t>();
  const int64_t n = s.numel();
  if (p[0] != 0)
    throw std::runtime_error(std::string(what) + "_start must begin at 0, got " +
                             std::to_string(p[0]));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t end = i + 1 < n ? p[i + 1] : columns;
    if (end <= p[i])
      throw std::runtime_error(std::string(what) + "_start is not increasing within the " +
                               std::to_string(columns) + " code columns (run " + std::to_string(i) +
                               ")");
    out.push_back(end - p[i]);
  }
  return out;
}

}  // namespace

namespace {

// What plan_merge reads: the batch on the CPU, and the lengths of the runs each placeholder takes.
struct MergeSource {
  at::Tensor ids, mask, labels;  // (B, L) int64; labels undefined when the batch has none
  int64_t bsz = 0, len = 0;
  std::vector<int64_t> in_runs, out_runs, feat_len;
  bool feats = false;
};

// Step 1: the length each input token expands to and its last expanded position (before padding).
// An <|AUDIO|> expands to its Whisper feature frames (fwidth of them, from window fidx) and then
// its audio-in code columns.
struct Expansion {
  std::vector<int64_t> width, end, total, fwidth, fidx;
};

MergeSource read_source(const MergeInputs& in) {
  MergeSource src;
  src.ids = in.input_ids.to(torch::kCPU, torch::kInt64).contiguous();
  src.mask = in.attention_mask.to(torch::kCPU, torch::kInt64).contiguous();
  if (in.label_ids.defined()) src.labels = in.label_ids.to(torch::kCPU, torch::kInt64).contiguous();
  src.bsz = src.ids.size(0);
  src.len = src.ids.size(1);
  src.in_runs = run_lengths(in.audio_in_starts, in.audio_in_columns, "audio_in_ids");
  src.out_runs = run_lengths(in.audio_out_starts, in.audio_out_columns, "audio_out_ids");
  if (in.audio_feature_lengths.defined())
    for (int64_t i = 0; i < in.audio_feature_lengths.numel(); ++i)
      src.feat_len.push_back(in.audio_feature_lengths[i].item<int64_t>());
  src.feats = !src.feat_len.empty();
  return src;
}

Expansion expand(const MergeInputs& in, const MergeSource& src) {
  const int64_t bsz = src.bsz, len = src.len;
  const auto& in_runs = src.in_runs;
  const auto& out_runs = src.out_runs;
  const auto& feat_len = src.feat_len;
  const bool feats = src.feats;
  auto idp = src.ids.accessor<int64_t, 2>();
  Expansion x;
  x.width.assign(bsz * len, 0);
  x.end.assign(bsz * len, 0);
  x.total.assign(bsz, 0);
  x.fwidth.assign(bsz * len, 0);
  x.fidx.assign(bsz * len, -1);
  auto& width = x.width;
  auto& end = x.end;
  auto& total = x.total;
  auto& fwidth = x.fwidth;
  auto& fidx = x.fidx;
  size_t n_in = 0, n_out = 0, n_feat = 0;
  for (int64_t b = 0; b < bsz; ++b) {
    int64_t pos = -1;
    for (int64_t j = 0; j < len; ++j) {
      const int64_t t = idp[b][j];
      int64_t w = 1;
      if (t == in.audio_in_token && (!in_runs.empty() || feats)) {
        w = 0;
        if (feats) {
          if (n_feat >= feat_len.size())
            throw std::runtime_error(
                "batch has more <|AUDIO|> placeholders than audio_features windows (" +
                std::to_string(feat_len.size()) + ")");
          fidx[b * len + j] = static_cast<int64_t>(n_feat);
          w = fwidth[b * len + j] = feat_len[n_feat++];
        }
        if (!in_runs.empty()) {
          if (n_in >= in_runs.size())
            throw std::runtime_error(
                "batch has more <|AUDIO|> placeholders than audio_in_ids runs (" +
                std::to_string(in_runs.size()) + ")");
          w += in_runs[n_in++];
        }
      } else if (t == in.audio_out_token && !out_runs.empty()) {
        if (n_out >= out_runs.size())
          throw std::runtime_error(
              "batch has more <|AUDIO_OUT|> placeholders than audio_out_ids runs (" +
              std::to_string(out_runs.size()) + ")");
        w = out_runs[n_out++];
      }
      width[b * len + j] = w;
      pos += w;
      end[b * len + j] = pos;
    }
    total[b] = pos + 1;
  }
  if (n_in != in_runs.size())
    throw std::runtime_error("audio_in_ids has " + std::to_string(in_runs.size()) +
                             " runs but the batch has " + std::to_string(n_in) +
                             " <|AUDIO|> placeholders");
  if (n_feat != feat_len.size())
    throw std::runtime_error("audio_features has " + std::to_string(feat_len.size()) +
                             " windows but the batch has " + std::to_string(n_feat) +
                             " <|AUDIO|> placeholders");
  if (n_out != out_runs.size())
    throw std::runtime_error("audio_out_ids has " + std::to_string(out_runs.size()) +
                             " runs but the batch has " + std::to_string(n_out) +
                             " <|AUDIO_OUT|> placeholders");

  return x;
}

// Step 2: the padded (B, full) layout, and where every text token, code column and feature
// frame goes in it (destinations as (row, column) pairs until the trim is known).
struct Layout {
  at::Tensor am, lab, xid, m_in, m_out, m_codes;
  std::vector<int64_t> text_src, text_dst, in_dst, out_dst;
  std::vector<int64_t> text_b, in_b, out_b;
  std::vector<int64_t> feat_src, feat_b, feat_dst;
};

Layout fill_layout(const MergeInputs& in, const MergeSource& src, const Expansion& x,
                   int64_t full) {
  const int64_t bsz = src.bsz, len = src.len;
  const bool has_labels = src.labels.defined(), feats = src.feats;
  const auto& in_runs = src.in_runs;
  const auto& out_runs = src.out_runs;
  const auto& width = x.width;
  const auto& end = x.end;
  const auto& total = x.total;
  const auto& fwidth = x.fwidth;
  const auto& fidx = x.fidx;
  const auto& labels = src.labels;
  auto idp = src.ids.accessor<int64_t, 2>();
  auto mask = src.mask;
  Layout l;
  auto& am = l.am;
  am = torch::zeros({bsz, full}, torch::kInt64);
  auto& lab = l.lab;
  lab = torch::full({bsz, full}, in.ignore_index, torch::kInt64);
  auto& xid = l.xid;
  xid = torch::full({bsz, full}, in.pad_token, torch::kInt64);
  auto& m_in = l.m_in;
  m_in = torch::zeros({bsz, full}, torch::kBool);
  auto& m_out = l.m_out;
  m_out = torch::zeros({bsz, full}, torch::kBool);
  auto& m_codes = l.m_codes;
  m_codes = torch::zeros({bsz, full}, torch::kBool);
  auto mcodesp = m_codes.accessor<bool, 2>();
  auto amp = am.accessor<int64_t, 2>();
  auto labp = lab.accessor<int64_t, 2>();
  auto xidp = xid.accessor<int64_t, 2>();
  auto minp = m_in.accessor<bool, 2>();
  auto moutp = m_out.accessor<bool, 2>();
  auto maskp = mask.accessor<int64_t, 2>();
  auto& text_src = l.text_src;
  auto& text_dst = l.text_dst;
  auto& in_dst = l.in_dst;
  auto& out_dst = l.out_dst;
  auto& text_b = l.text_b;
  auto& in_b = l.in_b;
  auto& out_b = l.out_b;
  auto& feat_src = l.feat_src;
  auto& feat_b = l.feat_b;
  auto& feat_dst = l.feat_dst;
  for (int64_t b = 0; b < bsz; ++b) {
    const int64_t shift = in.left_padding ? full - total[b] : 0;
    for (int64_t j = 0; j < len; ++j) {
      const int64_t t = idp[b][j], w = width[b * len + j], e = end[b * len + j] + shift;
      const bool is_in = t == in.audio_in_token, is_out = t == in.audio_out_token;
      if (is_in || is_out) {
        const bool filled = is_in ? !in_runs.empty() || feats : !out_runs.empty();
        if (!filled) continue;  // no source: an empty, masked position (reference behaviour)
        const int64_t fw = fwidth[b * len + j];
        for (int64_t c = e - w + 1; c <= e; ++c) {
          amp[b][c] = 1;
          xidp[b][c] = t;
          (is_in ? minp : moutp)[b][c] = true;
          const int64_t k = c - (e - w + 1);
          if (is_in && k < fw) {  // Whisper frame: audio-in, but not a discrete code position
            feat_src.push_back(fidx[b * len + j] * in.audio_feature_frames + k);
            feat_b.push_back(b);
            feat_dst.push_back(c);
            continue;
          }
          if (is_in) mcodesp[b][c] = true;
          (is_in ? in_b : out_b).push_back(b);
          (is_in ? in_dst : out_dst).push_back(c);
        }
        continue;
      }
      amp[b][e] = maskp[b][j] != 0 ? 1 : 0;
      xidp[b][e] = t;
      if (has_labels) labp[b][e] = labels.accessor<int64_t, 2>()[b][j];
      text_src.push_back(b * len + j);
      text_b.push_back(b);
      text_dst.push_back(e);
    }
  }

  return l;
}

}  // namespace

MergePlan plan_merge(const MergeInputs& in) {
  const MergeSource src = read_source(in);
  const Expansion x = expand(in, src);
  const int64_t bsz = src.bsz;
  const bool has_labels = src.labels.defined();
  int64_t longest = 0;
  for (int64_t t : x.total) longest = std::max(longest, t);
  const int64_t r = std::max<int64_t>(in.round_to, 1);
  const int64_t full = (longest + r - 1) / r * r;
  const Layout l = fill_layout(in, src, x, full);
  const auto& am = l.am;
  const auto& text_dst = l.text_dst;
  const auto& text_src = l.text_src;
  const auto& text_b = l.text_b;

  // 3. Trim whole round_to blocks of columns that are padding in every row.
  int64_t lo = 0, hi = full;
  auto used = am.sum(0);
  auto nz = used.nonzero();
  if (nz.numel() > 0) {
    if (in.left_padding)
      lo = nz[0].item<int64_t>() / r * r;
    else
      hi = std::min(full, (nz[-1].item<int64_t>() + 1 + r - 1) / r * r);
  }
  const int64_t out_len = hi - lo;
  auto flat = [&](const std::vector<int64_t>& bs, const std::vector<int64_t>& cs) {
    std::vector<int64_t> f(cs.size());
    for (size_t i = 0; i < cs.size(); ++i) f[i] = bs[i] * out_len + (cs[i] - lo);
    return torch::tensor(f, torch::kInt64);
  };
  // Text pads of the input may fall in trimmed columns: drop them (they carry nothing).
  std::vector<int64_t> ts, tb, tc;
  for (size_t i = 0; i < text_dst.size(); ++i)
    if (text_dst[i] >= lo && text_dst[i] < hi) {
      ts.push_back(text_src[i]);
      tb.push_back(text_b[i]);
      tc.push_back(text_dst[i]);
    }

  MergePlan p;
  p.batch = bsz;
  p.length = out_len;
  p.text_src = torch::tensor(ts, torch::kInt64);
  p.text_dst = flat(tb, tc);
  p.audio_in_dst = flat(l.in_b, l.in_dst);
  p.audio_out_dst = flat(l.out_b, l.out_dst);
  p.audio_feature_src = torch::tensor(l.feat_src, torch::kInt64);
  p.audio_feature_dst = flat(l.feat_b, l.feat_dst);
  p.attention_mask = am.slice(1, lo, hi).contiguous();
  if (has_labels) p.labels = l.lab.slice(1, lo, hi).contiguous();
  p.input_ids = l.xid.slice(1, lo, hi).contiguous();
  p.audio_in_mask = l.m_in.slice(1, lo, hi).contiguous();
  p.audio_in_discrete_codes_mask = l.m_codes.slice(1, lo, hi).contiguous();
  p.audio_out_mask = l.m_out.slice(1, lo, hi).contiguous();
  p.position_ids = (p.attention_mask.cumsum(-1) - 1).masked_fill(p.attention_mask == 0, 1);
  return p;
}

at::Tensor apply_merge(const MergePlan& plan, const at::Tensor& text_embeds,
                       const at::Tensor& audio_in_embeds, const at::Tensor& audio_out_embeds,
                       const at::Tensor& audio_feature_embeds) {
  const int64_t dim = text_embeds.size(-1);
  const auto dev = text_embeds.device();
  auto src = text_embeds.reshape({-1, dim}).index_select(0, plan.text_src.to(dev));
  auto out = torch::zeros({plan.batch * plan.length, dim}, text_embeds.options())
                 .index_copy(0, plan.text_dst.to(dev), src);
  if (plan.audio_in_dst.numel() > 0)
    out = out.index_copy(0, plan.audio_in_dst.to(dev), audio_in_embeds.to(out.scalar_type()));
  if (plan.audio_out_dst.numel() > 0)
    out = out.index_copy(0, plan.audio_out_dst.to(dev), audio_out_embeds.to(out.scalar_type()));
  if (plan.audio_feature_dst.numel() > 0) {
    auto rows = audio_feature_embeds.reshape({-1, dim}).index_select(
        0, plan.audio_feature_src.to(audio_feature_embeds.device()));
    out = out.index_copy(0, plan.audio_feature_dst.to(dev), rows.to(dev, out.scalar_type()));
  }
  return out.view({plan.batch, plan.length, dim});
}

}  // namespace higgs::higgs_audio
