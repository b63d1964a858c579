#pragma once
// Values<T>: a read-only array of a deep job's values (reference orbit, BLA steps) that either owns
// its elements or views memory held elsewhere, such as an MPI shared-memory window that every
// rank of a node reads (run/deep_setup.hpp). Copies of an owning Values own copies; copies of a
// view view the same memory.
#include <cstddef>
#include <span>
#include <utility>
#include <vector>

namespace fractal::deep {

template <class T>
class Values {
 public:
  Values() = default;
  Values(const Values& o) : own_(o.own_), owned_(o.owned_), view_(o.owned_ ? std::span<const T>(own_) : o.view_) {}
  Values& operator=(const Values& o) {
    if (this != &o) {
      own_ = o.own_;
      owned_ = o.owned_;
      view_ = owned_ ? std::span<const T>(own_) : o.view_;
    }
    return *this;
  }
  // Moving a std::vector keeps its buffer, so the view stays valid.
  Values(Values&& o) noexcept : own_(std::move(o.own_)), owned_(o.owned_), view_(o.view_) { o.view_ = {}; }
  Values& operator=(Values&& o) noexcept {
    own_ = std::move(o.own_);
    owned_ = o.owned_;
    view_ = o.view_;
    o.view_ = {};
    return *this;
  }

  // Owns v.
  void assign(std::vector<T> v) {
    own_ = std::move(v);
    owned_ = true;
    view_ = own_;
  }
  // Views n elements at p (which must outlive this and every copy); frees what it owned.
  void view(const T* p, std::size_t n) {
    std::vector<T>().swap(own_);
    owned_ = false;
    view_ = {p, n};
  }

  std::size_t size() const { return view_.size(); }
  bool empty() const { return view_.empty(); }
  const T* data() const { return view_.data(); }
  const T& operator[](std::size_t i) const { return view_[i]; }
  auto begin() const { return view_.begin(); }
  auto end() const { return view_.end(); }

 private:
  std::vector<T> own_;
  bool owned_ = true;
  std::span<const T> view_;
};

}  // namespace fractal::deep
