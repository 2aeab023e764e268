#include "models/serving/load_index.h"

#include <limits>

namespace capstan::serving {

LoadIndex::LoadIndex(std::vector<std::uint32_t> members) : members_(std::move(members)) {
  while (size_ < members_.size()) size_ *= 2;
  leaves_.assign(size_, Leaf{std::numeric_limits<double>::infinity(), 0});
  for (std::size_t i = 0; i < members_.size(); ++i) leaves_[i] = Leaf{0.0, 0};
  tree_.assign(2 * size_, 0);
  for (std::size_t i = 0; i < size_; ++i) tree_[size_ + i] = static_cast<std::uint32_t>(i);
  for (std::size_t n = size_ - 1; n >= 1; --n) {
    tree_[n] = better(tree_[2 * n + 1], tree_[2 * n]) ? tree_[2 * n + 1] : tree_[2 * n];
  }
}

bool LoadIndex::better(std::uint32_t a, std::uint32_t b) const {
  const Leaf& x = leaves_[a];
  const Leaf& y = leaves_[b];
  if (x.wait_s != y.wait_s) return x.wait_s < y.wait_s;
  if (x.load != y.load) return x.load < y.load;
  return a < b;
}

void LoadIndex::update(std::size_t position, double wait_s, int load) {
  if (leaves_[position].wait_s == wait_s && leaves_[position].load == load) return;  // most calls change nothing
  leaves_[position] = Leaf{wait_s, load};
  for (std::size_t n = (size_ + position) / 2; n >= 1; n /= 2) {
    const std::uint32_t winner = better(tree_[2 * n + 1], tree_[2 * n]) ? tree_[2 * n + 1] : tree_[2 * n];
    if (tree_[n] == winner && winner != position) break;  // nothing above changes
    tree_[n] = winner;
  }
}

}  // namespace capstan::serving
