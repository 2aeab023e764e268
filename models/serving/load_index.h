#pragma once
// The least-loaded of a fixed set of replicas, kept current as their loads
// change: a tournament tree over (estimated wait, sequences), lowest position
// winning ties. Query O(1), update O(log n). Not thread-safe.
#include <cstdint>
#include <vector>

namespace capstan::serving {

class LoadIndex {
 public:
  explicit LoadIndex(std::vector<std::uint32_t> members);

  void update(std::size_t position, double wait_s, int load);
  // The member (as given at construction) with the least (wait, load).
  std::uint32_t best() const { return members_[tree_[1]]; }
  double best_wait_s() const { return leaves_[tree_[1]].wait_s; }
  const std::vector<std::uint32_t>& members() const { return members_; }

 private:
  struct Leaf {
    double wait_s;
    int load;
  };
  bool better(std::uint32_t a, std::uint32_t b) const;
  std::vector<std::uint32_t> members_;
  std::vector<Leaf> leaves_;        // padded to a power of two with +infinity
  std::vector<std::uint32_t> tree_; // node -> winning leaf; leaves at [size, 2 size)
  std::size_t size_ = 1;
};

}  // namespace capstan::serving
