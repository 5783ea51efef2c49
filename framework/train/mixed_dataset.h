// Several datasets read as one (a recipe's train_mix or eval_mix): their examples end to end,
// each labelled "dataset/NAME" so that evaluation reports each apart. How often each is drawn
// in training is the sampler's (mix_weights); without a sampler every example is seen once per
// epoch.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "framework/train/dataset.h"

namespace higgs {

class MixedDataset : public Dataset {
 public:
  struct Member {
    std::string name;  // unique: "libritts", or the recipe path when the dataset has no name
    std::shared_ptr<Dataset> dataset;
  };
  explicit MixedDataset(std::vector<Member> members);

  size_t size() const override { return size_; }
  Example get(size_t index) const override;
  Example get(size_t index, int64_t epoch) const override;
  std::string describe(size_t index) const override;
  double max_bad_fraction() const override;
  std::vector<std::string> source_files() const override;
  std::optional<SampleInfo> info(size_t index) const override;
  std::vector<std::string> labels(size_t index) const override;
  std::vector<Part> parts() const override;
  std::vector<Dropped> dropped() const override;
  const std::vector<Member>& members() const { return members_; }

 private:
  /// (member, index within it) of a mixture index.
  std::pair<const Member*, size_t> locate(size_t index) const;
  std::vector<Member> members_;
  std::vector<size_t> begins_;
  size_t size_ = 0;
};

}  // namespace higgs
