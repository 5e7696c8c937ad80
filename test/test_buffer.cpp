#define BOOST_TEST_MODULE buffer
#include <boost/test/unit_test.hpp>

#include <blitz/buffer.hpp>
#include <blitz/completion_condition.hpp>
#include <blitz/detail/consuming_buffers.hpp>
#include <blitz/error.hpp>

#include <boost/array.hpp>
#include <boost/system/error_code.hpp>

#include <array>
#include <cstddef>
#include <cstring>
#include <list>
#include <string>
#include <type_traits>
#include <vector>

#include <sys/uio.h>

using blitz::const_buffer;
using blitz::const_buffers_1;
using blitz::mutable_buffer;
using blitz::mutable_buffers_1;
using boost::system::error_code;

namespace {

const void* cptr(const void* p)
{
  return p;
}

std::string as_string(const ::iovec& iov)
{
  return std::string(static_cast<const char*>(iov.iov_base), iov.iov_len);
}

} // namespace

BOOST_AUTO_TEST_SUITE(buffers)

BOOST_AUTO_TEST_CASE(default_buffers_are_empty)
{
  mutable_buffer m;
  const_buffer c;
  BOOST_TEST(m.data() == nullptr);
  BOOST_TEST(m.size() == 0u);
  BOOST_TEST(c.data() == nullptr);
  BOOST_TEST(c.size() == 0u);
}

BOOST_AUTO_TEST_CASE(advance_and_offset)
{
  char data[10] = "abcdefghi";
  mutable_buffer b(data, 10);
  b += 3;
  BOOST_TEST(b.data() == static_cast<void*>(data + 3));
  BOOST_TEST(b.size() == 7u);

  // Advancing past the end clamps to an empty buffer at the end.
  b += 100;
  BOOST_TEST(b.data() == static_cast<void*>(data + 10));
  BOOST_TEST(b.size() == 0u);

  mutable_buffer whole(data, 10);
  mutable_buffer tail = whole + 4;
  BOOST_TEST(tail.data() == static_cast<void*>(data + 4));
  BOOST_TEST(tail.size() == 6u);
  mutable_buffer tail2 = 4 + whole;
  BOOST_TEST(tail2.data() == tail.data());
  BOOST_TEST(tail2.size() == tail.size());
  BOOST_TEST((whole + 11).size() == 0u);
  BOOST_TEST(whole.size() == 10u);

  const_buffer c(data, 10);
  const_buffer ctail = c + 9;
  BOOST_TEST(ctail.data() == cptr(data + 9));
  BOOST_TEST(ctail.size() == 1u);
  BOOST_TEST((2 + c).size() == 8u);
  c += 20;
  BOOST_TEST(c.size() == 0u);
  BOOST_TEST(c.data() == cptr(data + 10));
}

BOOST_AUTO_TEST_CASE(const_from_mutable)
{
  char data[4];
  mutable_buffer m(data, 4);
  const_buffer c = m;
  BOOST_TEST(c.data() == cptr(data));
  BOOST_TEST(c.size() == 4u);
  BOOST_TEST((std::is_convertible<mutable_buffer, const_buffer>::value));
  BOOST_TEST(!(std::is_convertible<const_buffer, mutable_buffer>::value));
}

BOOST_AUTO_TEST_CASE(buffer_from_pointer_and_size)
{
  char data[8];
  auto m = blitz::buffer(static_cast<void*>(data), 5);
  BOOST_TEST((std::is_same<decltype(m), mutable_buffers_1>::value));
  BOOST_TEST(m.data() == static_cast<void*>(data));
  BOOST_TEST(m.size() == 5u);

  auto c = blitz::buffer(static_cast<const void*>(data), 6);
  BOOST_TEST((std::is_same<decltype(c), const_buffers_1>::value));
  BOOST_TEST(c.data() == cptr(data));
  BOOST_TEST(c.size() == 6u);
}

BOOST_AUTO_TEST_CASE(buffer_from_buffer_with_max)
{
  char data[8];
  const mutable_buffer m(data, 8);
  BOOST_TEST(blitz::buffer(m).size() == 8u);
  BOOST_TEST(blitz::buffer(m, 3).size() == 3u);
  BOOST_TEST(blitz::buffer(m, 30).size() == 8u);
  BOOST_TEST(blitz::buffer(m, 3).data() == static_cast<void*>(data));
  BOOST_TEST((std::is_same<decltype(blitz::buffer(m, 3)), mutable_buffers_1>::value));

  const const_buffer c(data, 8);
  BOOST_TEST(blitz::buffer(c).size() == 8u);
  BOOST_TEST(blitz::buffer(c, 2).size() == 2u);
  BOOST_TEST(blitz::buffer(c, 80).size() == 8u);
  BOOST_TEST((std::is_same<decltype(blitz::buffer(c, 2)), const_buffers_1>::value));

  // The idiom for a sub-range: offset, then cap.
  const_buffer mid = blitz::buffer(c + 2, 3);
  BOOST_TEST(mid.data() == cptr(data + 2));
  BOOST_TEST(mid.size() == 3u);
}

BOOST_AUTO_TEST_CASE(buffer_from_c_arrays)
{
  char chars[10];
  auto m = blitz::buffer(chars);
  BOOST_TEST((std::is_same<decltype(m), mutable_buffers_1>::value));
  BOOST_TEST(m.data() == static_cast<void*>(chars));
  BOOST_TEST(m.size() == 10u);
  BOOST_TEST(blitz::buffer(chars, 4).size() == 4u);
  BOOST_TEST(blitz::buffer(chars, 400).size() == 10u);

  int ints[3] = {1, 2, 3};
  BOOST_TEST(blitz::buffer(ints).size() == 3 * sizeof(int));
  BOOST_TEST(blitz::buffer(ints, 5).size() == 5u);

  const int cints[4] = {1, 2, 3, 4};
  auto c = blitz::buffer(cints);
  BOOST_TEST((std::is_same<decltype(c), const_buffers_1>::value));
  BOOST_TEST(c.size() == 4 * sizeof(int));
  BOOST_TEST(blitz::buffer(cints, 7).size() == 7u);
  BOOST_TEST(blitz::buffer(cints, 700).size() == 4 * sizeof(int));

  // A string literal is a const char array, terminator included.
  auto lit = blitz::buffer("abc");
  BOOST_TEST((std::is_same<decltype(lit), const_buffers_1>::value));
  BOOST_TEST(lit.size() == 4u);
}

BOOST_AUTO_TEST_CASE(buffer_from_std_array)
{
  std::array<short, 5> a = {};
  auto m = blitz::buffer(a);
  BOOST_TEST((std::is_same<decltype(m), mutable_buffers_1>::value));
  BOOST_TEST(m.data() == static_cast<void*>(a.data()));
  BOOST_TEST(m.size() == 5 * sizeof(short));
  BOOST_TEST(blitz::buffer(a, 3).size() == 3u);
  BOOST_TEST(blitz::buffer(a, 300).size() == 5 * sizeof(short));

  const std::array<short, 5>& ca = a;
  auto c = blitz::buffer(ca);
  BOOST_TEST((std::is_same<decltype(c), const_buffers_1>::value));
  BOOST_TEST(c.size() == 5 * sizeof(short));
  BOOST_TEST(blitz::buffer(ca, 1).size() == 1u);
  BOOST_TEST(blitz::buffer(ca, 100).size() == 5 * sizeof(short));

  std::array<const char, 3> ac = {{'x', 'y', 'z'}};
  auto c2 = blitz::buffer(ac);
  BOOST_TEST((std::is_same<decltype(c2), const_buffers_1>::value));
  BOOST_TEST(c2.size() == 3u);
  BOOST_TEST(blitz::buffer(ac, 2).size() == 2u);
}

BOOST_AUTO_TEST_CASE(buffer_from_boost_array)
{
  boost::array<char, 6> a = {};
  auto m = blitz::buffer(a);
  BOOST_TEST((std::is_same<decltype(m), mutable_buffers_1>::value));
  BOOST_TEST(m.data() == static_cast<void*>(a.data()));
  BOOST_TEST(m.size() == 6u);
  BOOST_TEST(blitz::buffer(a, 2).size() == 2u);

  const boost::array<char, 6>& ca = a;
  auto c = blitz::buffer(ca);
  BOOST_TEST((std::is_same<decltype(c), const_buffers_1>::value));
  BOOST_TEST(blitz::buffer(ca, 4).size() == 4u);
  BOOST_TEST(blitz::buffer(ca, 40).size() == 6u);

  boost::array<const char, 2> cc = {{'a', 'b'}};
  auto c2 = blitz::buffer(cc);
  BOOST_TEST((std::is_same<decltype(c2), const_buffers_1>::value));
  BOOST_TEST(c2.size() == 2u);
  BOOST_TEST(blitz::buffer(cc, 1).size() == 1u);

  // Sizes are in bytes, not elements.
  boost::array<int, 3> ints = {};
  BOOST_TEST(blitz::buffer(ints).size() == 3 * sizeof(int));
  BOOST_TEST(blitz::buffer(static_cast<const boost::array<int, 3>&>(ints)).size() == 3 * sizeof(int));
  boost::array<const int, 3> cints = {{1, 2, 3}};
  BOOST_TEST(blitz::buffer(cints).size() == 3 * sizeof(int));
}

BOOST_AUTO_TEST_CASE(buffer_from_vector)
{
  std::vector<int> v(7);
  auto m = blitz::buffer(v);
  BOOST_TEST((std::is_same<decltype(m), mutable_buffers_1>::value));
  BOOST_TEST(m.data() == static_cast<void*>(v.data()));
  BOOST_TEST(m.size() == 7 * sizeof(int));
  BOOST_TEST(blitz::buffer(v, 9).size() == 9u);
  BOOST_TEST(blitz::buffer(v, 900).size() == 7 * sizeof(int));

  const std::vector<int>& cv = v;
  auto c = blitz::buffer(cv);
  BOOST_TEST((std::is_same<decltype(c), const_buffers_1>::value));
  BOOST_TEST(c.data() == cptr(v.data()));
  BOOST_TEST(c.size() == 7 * sizeof(int));
  BOOST_TEST(blitz::buffer(cv, 5).size() == 5u);

  std::vector<char> empty;
  BOOST_TEST(blitz::buffer(empty).data() == nullptr);
  BOOST_TEST(blitz::buffer(empty).size() == 0u);
  const std::vector<char>& cempty = empty;
  BOOST_TEST(blitz::buffer(cempty).data() == nullptr);
  BOOST_TEST(blitz::buffer(empty, 10).size() == 0u);
}

BOOST_AUTO_TEST_CASE(buffer_from_string)
{
  std::string s = "hello world";
  auto m = blitz::buffer(s);
  BOOST_TEST((std::is_same<decltype(m), mutable_buffers_1>::value));
  BOOST_TEST(m.data() == static_cast<void*>(&s[0]));
  BOOST_TEST(m.size() == 11u);
  BOOST_TEST(blitz::buffer(s, 5).size() == 5u);
  BOOST_TEST(blitz::buffer(s, 50).size() == 11u);

  const std::string& cs = s;
  auto c = blitz::buffer(cs);
  BOOST_TEST((std::is_same<decltype(c), const_buffers_1>::value));
  BOOST_TEST(c.data() == cptr(s.data()));
  BOOST_TEST(c.size() == 11u);
  BOOST_TEST(blitz::buffer(cs, 4).size() == 4u);
  BOOST_TEST(blitz::buffer(cs, 400).size() == 11u);

  std::wstring w = L"abc";
  BOOST_TEST(blitz::buffer(w).size() == 3 * sizeof(wchar_t));
  BOOST_TEST(blitz::buffer(w, 5).size() == 5u);

  std::string empty;
  BOOST_TEST(blitz::buffer(empty).size() == 0u);
  BOOST_TEST(blitz::buffer(empty).data() == nullptr);
}

BOOST_AUTO_TEST_CASE(buffer_cast_returns_the_pointer)
{
  char data[3];
  mutable_buffer m(data, 3);
  const_buffer c(data, 3);
  // Parenthesised: Boost.Test would otherwise compare char pointers as C strings.
  BOOST_TEST((blitz::buffer_cast<char*>(m) == data));
  BOOST_TEST((blitz::buffer_cast<const char*>(c) == data));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sequences)

BOOST_AUTO_TEST_CASE(single_buffer_is_a_sequence_of_one)
{
  char data[4];
  mutable_buffer m(data, 4);
  BOOST_TEST(blitz::buffer_sequence_begin(m) == &m);
  BOOST_TEST(blitz::buffer_sequence_end(m) == &m + 1);

  const_buffer c(data, 4);
  BOOST_TEST(blitz::buffer_sequence_begin(c) == &c);
  BOOST_TEST(blitz::buffer_sequence_end(c) == &c + 1);

  mutable_buffers_1 m1(data, 4);
  BOOST_TEST(blitz::buffer_sequence_begin(m1) == static_cast<const mutable_buffer*>(&m1));
  BOOST_TEST(blitz::buffer_sequence_end(m1) - blitz::buffer_sequence_begin(m1) == 1);
}

BOOST_AUTO_TEST_CASE(container_is_a_sequence)
{
  char a[2], b[3];
  std::vector<mutable_buffer> v = {mutable_buffer(a, 2), mutable_buffer(b, 3)};
  BOOST_TEST((blitz::buffer_sequence_begin(v) == v.begin()));
  BOOST_TEST((blitz::buffer_sequence_end(v) == v.end()));
  const std::vector<mutable_buffer>& cv = v;
  BOOST_TEST((blitz::buffer_sequence_begin(cv) == cv.begin()));
}

BOOST_AUTO_TEST_CASE(traits)
{
  using blitz::is_const_buffer_sequence;
  using blitz::is_mutable_buffer_sequence;

  BOOST_TEST(is_mutable_buffer_sequence<mutable_buffer>::value);
  BOOST_TEST(is_const_buffer_sequence<mutable_buffer>::value);
  BOOST_TEST(!is_mutable_buffer_sequence<const_buffer>::value);
  BOOST_TEST(is_const_buffer_sequence<const_buffer>::value);

  BOOST_TEST(is_mutable_buffer_sequence<mutable_buffers_1>::value);
  BOOST_TEST(!is_mutable_buffer_sequence<const_buffers_1>::value);
  BOOST_TEST(is_const_buffer_sequence<const_buffers_1>::value);
  BOOST_TEST(is_mutable_buffer_sequence<blitz::null_buffers>::value);

  BOOST_TEST(is_mutable_buffer_sequence<std::vector<mutable_buffer>>::value);
  BOOST_TEST(is_const_buffer_sequence<std::vector<mutable_buffer>>::value);
  BOOST_TEST(!is_mutable_buffer_sequence<std::vector<const_buffer>>::value);
  BOOST_TEST(is_const_buffer_sequence<std::vector<const_buffer>>::value);
  BOOST_TEST((is_const_buffer_sequence<std::array<const_buffer, 2>>::value));
  BOOST_TEST(is_const_buffer_sequence<std::list<const_buffer>>::value);

  BOOST_TEST(!is_const_buffer_sequence<std::string>::value);
  BOOST_TEST(!is_mutable_buffer_sequence<std::vector<char>>::value);
  BOOST_TEST(!is_const_buffer_sequence<int>::value);
  BOOST_TEST(!is_const_buffer_sequence<char*>::value);
}

BOOST_AUTO_TEST_CASE(buffer_size_of_sequences)
{
  char a[2], b[3], c[5];
  BOOST_TEST(blitz::buffer_size(mutable_buffer(a, 2)) == 2u);
  BOOST_TEST(blitz::buffer_size(const_buffer(a, 0)) == 0u);
  BOOST_TEST(blitz::buffer_size(blitz::buffer(c)) == 5u);

  std::vector<mutable_buffer> v = {mutable_buffer(a, 2), mutable_buffer(b, 3), mutable_buffer(c, 5)};
  BOOST_TEST(blitz::buffer_size(v) == 10u);

  std::array<const_buffer, 3> arr = {{const_buffer(a, 2), const_buffer(), const_buffer(c, 5)}};
  BOOST_TEST(blitz::buffer_size(arr) == 7u);

  std::list<const_buffer> l = {const_buffer(b, 3), const_buffer(c, 1)};
  BOOST_TEST(blitz::buffer_size(l) == 4u);

  BOOST_TEST(blitz::buffer_size(std::vector<const_buffer>()) == 0u);
  BOOST_TEST(blitz::buffer_size(blitz::null_buffers()) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(copy)

BOOST_AUTO_TEST_CASE(single_to_single_truncates_to_the_smaller)
{
  const std::string src = "0123456789";
  char dst[4] = {};
  BOOST_TEST(blitz::buffer_copy(blitz::buffer(dst), blitz::buffer(src)) == 4u);
  BOOST_TEST(std::string(dst, 4) == "0123");

  char big[16];
  std::memset(big, '.', sizeof(big));
  BOOST_TEST(blitz::buffer_copy(blitz::buffer(big), blitz::buffer(src)) == 10u);
  BOOST_TEST(std::string(big, 11) == "0123456789.");
}

BOOST_AUTO_TEST_CASE(with_max_bytes)
{
  const std::string src = "abcdef";
  char dst[8];
  std::memset(dst, '.', sizeof(dst));
  BOOST_TEST(blitz::buffer_copy(blitz::buffer(dst), blitz::buffer(src), 3) == 3u);
  BOOST_TEST(std::string(dst, 4) == "abc.");
  BOOST_TEST(blitz::buffer_copy(blitz::buffer(dst), blitz::buffer(src), 100) == 6u);
  BOOST_TEST(blitz::buffer_copy(blitz::buffer(dst), blitz::buffer(src), 0) == 0u);
}

BOOST_AUTO_TEST_CASE(multi_to_multi_across_boundaries_and_empty_pieces)
{
  const std::string s1 = "abc", s2 = "defgh", s3 = "ij";
  std::vector<const_buffer> src = {
      blitz::buffer(s1), const_buffer(), blitz::buffer(s2), const_buffer(), blitz::buffer(s3)};

  char d1[2], d2[4], d3[10];
  std::memset(d3, '.', sizeof(d3));
  std::vector<mutable_buffer> dst = {
      mutable_buffer(d1, 2), mutable_buffer(), mutable_buffer(d2, 4), mutable_buffer(d3, 10)};

  BOOST_TEST(blitz::buffer_copy(dst, src) == 10u);
  BOOST_TEST(std::string(d1, 2) == "ab");
  BOOST_TEST(std::string(d2, 4) == "cdef");
  BOOST_TEST(std::string(d3, 5) == "ghij.");
}

BOOST_AUTO_TEST_CASE(multi_to_multi_with_max_bytes)
{
  const std::string s1 = "abc", s2 = "defgh";
  std::vector<const_buffer> src = {blitz::buffer(s1), blitz::buffer(s2)};
  char d1[4], d2[4];
  std::memset(d1, '.', sizeof(d1));
  std::memset(d2, '.', sizeof(d2));
  std::vector<mutable_buffer> dst = {mutable_buffer(d1, 4), mutable_buffer(d2, 4)};

  BOOST_TEST(blitz::buffer_copy(dst, src, 6) == 6u);
  BOOST_TEST(std::string(d1, 4) == "abcd");
  BOOST_TEST(std::string(d2, 4) == "ef..");
}

BOOST_AUTO_TEST_CASE(single_to_multi_and_multi_to_single)
{
  const std::string src = "0123456";
  char d1[3], d2[2];
  std::vector<mutable_buffer> dst = {mutable_buffer(d1, 3), mutable_buffer(d2, 2)};
  BOOST_TEST(blitz::buffer_copy(dst, blitz::buffer(src)) == 5u);
  BOOST_TEST(std::string(d1, 3) == "012");
  BOOST_TEST(std::string(d2, 2) == "34");

  const std::string a = "xy", b = "zw";
  std::list<const_buffer> parts = {blitz::buffer(a), blitz::buffer(b)};
  char out[3];
  BOOST_TEST(blitz::buffer_copy(blitz::buffer(out), parts) == 3u);
  BOOST_TEST(std::string(out, 3) == "xyz");
}

BOOST_AUTO_TEST_CASE(empty_sequences_copy_nothing)
{
  char dst[4];
  std::vector<const_buffer> none;
  BOOST_TEST(blitz::buffer_copy(blitz::buffer(dst), none) == 0u);
  const std::string src = "abc";
  BOOST_TEST(blitz::buffer_copy(std::vector<mutable_buffer>(), blitz::buffer(src)) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(consuming)

using blitz::detail::consuming_buffers;

BOOST_AUTO_TEST_CASE(single_buffer)
{
  std::string s = "0123456789";
  using cb_type = consuming_buffers<const_buffer, const_buffers_1>;
  BOOST_TEST(std::is_trivially_copyable<cb_type>::value);
  BOOST_TEST(sizeof(cb_type) <= 3 * sizeof(void*));

  cb_type cb(blitz::buffer(static_cast<const std::string&>(s)));
  BOOST_TEST(!cb.empty());
  BOOST_TEST(cb.total_consumed() == 0u);

  ::iovec iov[4];
  BOOST_TEST(cb.prepare(4, iov, 4) == 1u);
  BOOST_TEST(as_string(iov[0]) == "0123");
  BOOST_TEST(cb.prepare(100, iov, 4) == 1u);
  BOOST_TEST(as_string(iov[0]) == "0123456789");
  BOOST_TEST(cb.prepare(0, iov, 4) == 0u);
  BOOST_TEST(cb.prepare(5, iov, 0) == 0u);

  cb.consume(3);
  BOOST_TEST(cb.total_consumed() == 3u);
  BOOST_TEST(cb.prepare(100, iov, 4) == 1u);
  BOOST_TEST(as_string(iov[0]) == "3456789");

  cb.consume(100); // clamped
  BOOST_TEST(cb.empty());
  BOOST_TEST(cb.total_consumed() == 10u);
  BOOST_TEST(cb.prepare(100, iov, 4) == 0u);
}

BOOST_AUTO_TEST_CASE(single_mutable_buffer_into_mutable)
{
  char data[6] = "abcde";
  consuming_buffers<mutable_buffer, mutable_buffer> cb(mutable_buffer(data, 5));
  cb.consume(2);
  ::iovec iov[1];
  BOOST_TEST(cb.prepare(2, iov, 1) == 1u);
  BOOST_TEST(iov[0].iov_base == static_cast<void*>(data + 2));
  BOOST_TEST(iov[0].iov_len == 2u);
}

BOOST_AUTO_TEST_CASE(multi_buffer_skips_zero_length_pieces)
{
  const std::string a = "abc", b = "defgh", c = "ij";
  std::vector<const_buffer> seq = {const_buffer(), blitz::buffer(a), const_buffer(),
      const_buffer(), blitz::buffer(b), const_buffer(), blitz::buffer(c), const_buffer()};

  consuming_buffers<const_buffer, std::vector<const_buffer>> cb(seq);
  BOOST_TEST(!cb.empty());

  ::iovec iov[8];
  BOOST_TEST(cb.prepare(100, iov, 8) == 3u);
  BOOST_TEST(as_string(iov[0]) == "abc");
  BOOST_TEST(as_string(iov[1]) == "defgh");
  BOOST_TEST(as_string(iov[2]) == "ij");

  // max_bytes cuts the last piece short.
  BOOST_TEST(cb.prepare(5, iov, 8) == 2u);
  BOOST_TEST(as_string(iov[0]) == "abc");
  BOOST_TEST(as_string(iov[1]) == "de");

  // max_iov limits the count, not the bytes of the pieces it does include.
  BOOST_TEST(cb.prepare(100, iov, 2) == 2u);
  BOOST_TEST(as_string(iov[1]) == "defgh");

  cb.consume(4);
  BOOST_TEST(cb.total_consumed() == 4u);
  BOOST_TEST(cb.prepare(100, iov, 8) == 2u);
  BOOST_TEST(as_string(iov[0]) == "efgh");
  BOOST_TEST(as_string(iov[1]) == "ij");

  // Two partial steps inside one piece accumulate.
  cb.consume(1);
  cb.consume(2);
  BOOST_TEST(cb.prepare(100, iov, 8) == 2u);
  BOOST_TEST(as_string(iov[0]) == "h");
  BOOST_TEST(cb.total_consumed() == 7u);

  // Consuming exactly to a boundary, then across the empty pieces after it.
  cb.consume(1);
  BOOST_TEST(cb.prepare(100, iov, 8) == 1u);
  BOOST_TEST(as_string(iov[0]) == "ij");
  BOOST_TEST(!cb.empty());

  cb.consume(1);
  BOOST_TEST(cb.prepare(100, iov, 8) == 1u);
  BOOST_TEST(as_string(iov[0]) == "j");

  cb.consume(50);
  BOOST_TEST(cb.empty());
  BOOST_TEST(cb.total_consumed() == 10u);
  BOOST_TEST(cb.prepare(100, iov, 8) == 0u);
}

BOOST_AUTO_TEST_CASE(copy_is_independent_of_the_original_sequence_object)
{
  const std::string a = "abc", b = "def";
  using cb_type = consuming_buffers<const_buffer, std::vector<const_buffer>>;
  std::vector<cb_type> holder;
  {
    std::vector<const_buffer> seq = {blitz::buffer(a), blitz::buffer(b)};
    cb_type cb(seq);
    cb.consume(2);
    holder.push_back(cb); // copies the vector; seq and cb die at the end of the scope
  }
  ::iovec iov[4];
  BOOST_TEST(holder[0].prepare(100, iov, 4) == 2u);
  BOOST_TEST(as_string(iov[0]) == "c");
  BOOST_TEST(as_string(iov[1]) == "def");

  cb_type moved(std::move(holder[0]));
  moved.consume(1);
  BOOST_TEST(moved.prepare(100, iov, 4) == 1u);
  BOOST_TEST(as_string(iov[0]) == "def");
}

BOOST_AUTO_TEST_CASE(sequence_held_by_reference)
{
  const std::string a = "ab", b = "cd";
  const std::vector<const_buffer> seq = {blitz::buffer(a), blitz::buffer(b)};
  consuming_buffers<const_buffer, const std::vector<const_buffer>&> cb(seq);
  cb.consume(3);
  ::iovec iov[2];
  BOOST_TEST(cb.prepare(10, iov, 2) == 1u);
  BOOST_TEST(as_string(iov[0]) == "d");
}

BOOST_AUTO_TEST_CASE(all_empty_sequence)
{
  std::vector<mutable_buffer> seq = {mutable_buffer(), mutable_buffer()};
  consuming_buffers<mutable_buffer, std::vector<mutable_buffer>> cb(seq);
  BOOST_TEST(cb.empty());
  ::iovec iov[2];
  BOOST_TEST(cb.prepare(10, iov, 2) == 0u);
  cb.consume(5);
  BOOST_TEST(cb.total_consumed() == 0u);
}

BOOST_AUTO_TEST_CASE(list_sequence_and_const_view_of_mutable)
{
  char a[3] = {'a', 'b', 'c'}, b[2] = {'d', 'e'};
  std::list<mutable_buffer> seq = {mutable_buffer(a, 3), mutable_buffer(b, 2)};
  consuming_buffers<const_buffer, std::list<mutable_buffer>> cb(seq);
  cb.consume(3);
  ::iovec iov[2];
  BOOST_TEST(cb.prepare(10, iov, 2) == 1u);
  BOOST_TEST(as_string(iov[0]) == "de");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(completion_conditions)

const error_code no_error;
const error_code failed = blitz::error::connection_reset;

BOOST_AUTO_TEST_CASE(default_max_transfer_size)
{
  BOOST_TEST(static_cast<std::size_t>(blitz::detail::default_max_transfer_size) == 65536u);
}

BOOST_AUTO_TEST_CASE(transfer_all)
{
  auto cond = blitz::transfer_all();
  BOOST_TEST(cond(no_error, 0) == 65536u);
  BOOST_TEST(cond(no_error, 1000000) == 65536u);
  BOOST_TEST(cond(failed, 0) == 0u);
}

BOOST_AUTO_TEST_CASE(transfer_at_least)
{
  auto cond = blitz::transfer_at_least(10);
  BOOST_TEST(cond(no_error, 0) == 65536u);
  BOOST_TEST(cond(no_error, 9) == 65536u);
  BOOST_TEST(cond(no_error, 10) == 0u);
  BOOST_TEST(cond(no_error, 11) == 0u);
  BOOST_TEST(cond(failed, 3) == 0u);
}

BOOST_AUTO_TEST_CASE(transfer_exactly)
{
  auto cond = blitz::transfer_exactly(100);
  BOOST_TEST(cond(no_error, 0) == 100u);
  BOOST_TEST(cond(no_error, 40) == 60u);
  BOOST_TEST(cond(no_error, 100) == 0u);
  BOOST_TEST(cond(no_error, 150) == 0u);
  BOOST_TEST(cond(failed, 40) == 0u);

  auto big = blitz::transfer_exactly(100000);
  BOOST_TEST(big(no_error, 0) == 65536u);
  BOOST_TEST(big(no_error, 65536) == 100000u - 65536u);

  BOOST_TEST(blitz::transfer_exactly(0)(no_error, 0) == 0u);
}

BOOST_AUTO_TEST_CASE(adapter_accepts_bool_conditions)
{
  auto done_after_5 = blitz::detail::adapt_completion_condition(
      [](const error_code& ec, std::size_t n) { return !!ec || n >= 5; });
  BOOST_TEST(done_after_5(no_error, 0) == 65536u);
  BOOST_TEST(done_after_5(no_error, 5) == 0u);
  BOOST_TEST(done_after_5(failed, 0) == 0u);
}

BOOST_AUTO_TEST_CASE(adapter_passes_sizes_through)
{
  auto sized = blitz::detail::adapt_completion_condition(
      [](const error_code&, std::size_t n) -> std::size_t { return n < 7 ? 7 - n : 0; });
  BOOST_TEST(sized(no_error, 0) == 7u);
  BOOST_TEST(sized(no_error, 5) == 2u);
  BOOST_TEST(sized(no_error, 7) == 0u);

  auto as_int = blitz::detail::adapt_completion_condition(
      [](const error_code&, std::size_t) -> int { return 12; });
  BOOST_TEST(as_int(no_error, 0) == 12u);

  auto builtin = blitz::detail::adapt_completion_condition(blitz::transfer_exactly(3));
  BOOST_TEST(builtin(no_error, 1) == 2u);
}

BOOST_AUTO_TEST_CASE(adapter_keeps_state)
{
  int calls = 0;
  auto counting = blitz::detail::adapt_completion_condition(
      [calls](const error_code&, std::size_t) mutable { return ++calls >= 3; });
  BOOST_TEST(counting(no_error, 0) == 65536u);
  BOOST_TEST(counting(no_error, 0) == 65536u);
  BOOST_TEST(counting(no_error, 0) == 0u);
  BOOST_TEST(calls == 0); // the adapter owns a copy
}

namespace {
bool legacy_condition(const error_code& ec, std::size_t n)
{
  return !!ec || n >= 2;
}
} // namespace

BOOST_AUTO_TEST_CASE(adapter_accepts_function_pointers)
{
  auto cond = blitz::detail::adapt_completion_condition(legacy_condition);
  BOOST_TEST(cond(no_error, 1) == 65536u);
  BOOST_TEST(cond(no_error, 2) == 0u);
  auto cond2 = blitz::detail::adapt_completion_condition(&legacy_condition);
  BOOST_TEST(cond2(failed, 0) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
