#include "components/models/higgs_audio/merge.h"

#include <torch/torch.h>

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

MergePlan plan_merge(const MergeInputs& in) {
  auto ids = in.input_ids.to(torch::kCPU, torch::kInt64).contiguous();
  auto mask = in.attention_mask.to(torch::kCPU, torch::kInt64).contiguous();
  const bool has_labels = in.label_ids.defined();
  auto labels =
      has_labels ? in.label_ids.to(torch::kCPU, torch::kInt64).contiguous() : at::Tensor();
  const int64_t bsz = ids.size(0), len = ids.size(1);
  const auto in_runs = run_lengths(in.audio_in_starts, in.audio_in_columns, "audio_in_ids");
  const auto out_runs = run_lengths(in.audio_out_starts, in.audio_out_columns, "audio_out_ids");

  std::vector<int64_t> feat_len;
  if (in.audio_feature_lengths.defined())
    for (int64_t i = 0; i < in.audio_feature_lengths.numel(); ++i)
      feat_len.push_back(in.audio_feature_lengths[i].item<int64_t>());
  const bool feats = !feat_len.empty();

  // 1. Length each input token expands to, and its last expanded position (before padding).
  // An <|AUDIO|> expands to its Whisper feature frames (fwidth of them, from window fidx) and then
  // its audio-in code columns.
  auto idp = ids.accessor<int64_t, 2>();
  std::vector<int64_t> width(bsz * len), end(bsz * len), total(bsz, 0);
  std::vector<int64_t> fwidth(bsz * len, 0), fidx(bsz * len, -1);
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

  int64_t longest = 0;
  for (int64_t t : total) longest = std::max(longest, t);
  const int64_t r = std::max<int64_t>(in.round_to, 1);
  const int64_t full = (longest + r - 1) / r * r;

  // 2. Fill the padded (B, full) layout.
  auto am = torch::zeros({bsz, full}, torch::kInt64);
  auto lab = torch::full({bsz, full}, in.ignore_index, torch::kInt64);
  auto xid = torch::full({bsz, full}, in.pad_token, torch::kInt64);
  auto m_in = torch::zeros({bsz, full}, torch::kBool);
  auto m_out = torch::zeros({bsz, full}, torch::kBool);
  auto m_codes = torch::zeros({bsz, full}, torch::kBool);
  auto mcodesp = m_codes.accessor<bool, 2>();
  auto amp = am.accessor<int64_t, 2>();
  auto labp = lab.accessor<int64_t, 2>();
  auto xidp = xid.accessor<int64_t, 2>();
  auto minp = m_in.accessor<bool, 2>();
  auto moutp = m_out.accessor<bool, 2>();
  auto maskp = mask.accessor<int64_t, 2>();
  std::vector<int64_t> text_src, text_dst, in_dst, out_dst;  // dst as (b, col) pairs for now
  std::vector<int64_t> text_b, in_b, out_b;
  std::vector<int64_t> feat_src, feat_b, feat_dst;
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
  p.audio_in_dst = flat(in_b, in_dst);
  p.audio_out_dst = flat(out_b, out_dst);
  p.audio_feature_src = torch::tensor(feat_src, torch::kInt64);
  p.audio_feature_dst = flat(feat_b, feat_dst);
  p.attention_mask = am.slice(1, lo, hi).contiguous();
  if (has_labels) p.labels = lab.slice(1, lo, hi).contiguous();
  p.input_ids = xid.slice(1, lo, hi).contiguous();
  p.audio_in_mask = m_in.slice(1, lo, hi).contiguous();
  p.audio_in_discrete_codes_mask = m_codes.slice(1, lo, hi).contiguous();
  p.audio_out_mask = m_out.slice(1, lo, hi).contiguous();
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
