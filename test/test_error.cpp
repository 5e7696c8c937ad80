#define BOOST_TEST_MODULE error
#include <boost/test/unit_test.hpp>

#include <blitz/detail/throw_error.hpp>
#include <blitz/error.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <cerrno>
#include <cstring>
#include <netdb.h>
#include <string>

namespace error = blitz::error;
using boost::system::error_code;

BOOST_AUTO_TEST_CASE(basic_errors_are_the_errno_values)
{
  BOOST_TEST(error::access_denied == EACCES);
  BOOST_TEST(error::address_family_not_supported == EAFNOSUPPORT);
  BOOST_TEST(error::address_in_use == EADDRINUSE);
  BOOST_TEST(error::already_connected == EISCONN);
  BOOST_TEST(error::already_started == EALREADY);
  BOOST_TEST(error::broken_pipe == EPIPE);
  BOOST_TEST(error::connection_aborted == ECONNABORTED);
  BOOST_TEST(error::connection_refused == ECONNREFUSED);
  BOOST_TEST(error::connection_reset == ECONNRESET);
  BOOST_TEST(error::bad_descriptor == EBADF);
  BOOST_TEST(error::fault == EFAULT);
  BOOST_TEST(error::host_unreachable == EHOSTUNREACH);
  BOOST_TEST(error::in_progress == EINPROGRESS);
  BOOST_TEST(error::interrupted == EINTR);
  BOOST_TEST(error::invalid_argument == EINVAL);
  BOOST_TEST(error::message_size == EMSGSIZE);
  BOOST_TEST(error::name_too_long == ENAMETOOLONG);
  BOOST_TEST(error::network_down == ENETDOWN);
  BOOST_TEST(error::network_reset == ENETRESET);
  BOOST_TEST(error::network_unreachable == ENETUNREACH);
  BOOST_TEST(error::no_descriptors == EMFILE);
  BOOST_TEST(error::no_buffer_space == ENOBUFS);
  BOOST_TEST(error::no_memory == ENOMEM);
  BOOST_TEST(error::no_permission == EPERM);
  BOOST_TEST(error::no_protocol_option == ENOPROTOOPT);
  BOOST_TEST(error::no_such_device == ENODEV);
  BOOST_TEST(error::not_connected == ENOTCONN);
  BOOST_TEST(error::not_socket == ENOTSOCK);
  BOOST_TEST(error::operation_aborted == ECANCELED);
  BOOST_TEST(error::operation_not_supported == EOPNOTSUPP);
  BOOST_TEST(error::shut_down == ESHUTDOWN);
  BOOST_TEST(error::timed_out == ETIMEDOUT);
  BOOST_TEST(error::try_again == EAGAIN);
  BOOST_TEST(error::would_block == EWOULDBLOCK);
}

BOOST_AUTO_TEST_CASE(other_enums_have_asio_values)
{
  BOOST_TEST(error::host_not_found == 1);
  BOOST_TEST(error::host_not_found == HOST_NOT_FOUND);
  BOOST_TEST(error::host_not_found_try_again == TRY_AGAIN);
  BOOST_TEST(error::no_data == NO_DATA);
  BOOST_TEST(error::no_recovery == NO_RECOVERY);

  BOOST_TEST(error::service_not_found == EAI_SERVICE);
  BOOST_TEST(error::socket_type_not_supported == EAI_SOCKTYPE);

  BOOST_TEST(error::already_open == 1);
  BOOST_TEST(error::eof == 2);
  BOOST_TEST(error::not_found == 3);
  BOOST_TEST(error::fd_set_failure == 4);
}

BOOST_AUTO_TEST_CASE(enums_are_error_code_enums)
{
  BOOST_TEST(boost::system::is_error_code_enum<error::basic_errors>::value);
  BOOST_TEST(boost::system::is_error_code_enum<error::netdb_errors>::value);
  BOOST_TEST(boost::system::is_error_code_enum<error::addrinfo_errors>::value);
  BOOST_TEST(boost::system::is_error_code_enum<error::misc_errors>::value);
}

BOOST_AUTO_TEST_CASE(basic_errors_live_in_the_system_category)
{
  error_code ec = error::operation_aborted;
  BOOST_TEST(ec.value() == ECANCELED);
  BOOST_TEST((ec.category() == boost::system::system_category()));
  BOOST_TEST(ec == error::operation_aborted);
  BOOST_TEST(ec != error::connection_reset);

  // What a syscall wrapper produces from errno must equal the enumerator.
  BOOST_TEST((error_code(ECONNRESET, boost::system::system_category()) == error::connection_reset));
  BOOST_TEST((error_code(ECONNRESET, boost::system::system_category()) != error::connection_refused));

  // Portable conditions still match.
  BOOST_TEST(error_code(error::connection_refused) == boost::system::errc::connection_refused);
  BOOST_TEST(&error::get_system_category() == &boost::system::system_category());
}

BOOST_AUTO_TEST_CASE(assignment_and_make_error_code)
{
  error_code ec;
  BOOST_TEST(!ec);
  ec = error::eof;
  BOOST_TEST(!!ec);
  BOOST_TEST(ec == error::eof);
  BOOST_TEST(ec == error::make_error_code(error::eof));
  BOOST_TEST((ec.category() == error::get_misc_category()));

  ec = error::host_not_found;
  BOOST_TEST((ec.category() == error::get_netdb_category()));
  BOOST_TEST(ec.value() == HOST_NOT_FOUND);

  ec = error::service_not_found;
  BOOST_TEST((ec.category() == error::get_addrinfo_category()));
  BOOST_TEST(ec.value() == EAI_SERVICE);

  error::clear(ec);
  BOOST_TEST(!ec);
}

BOOST_AUTO_TEST_CASE(same_value_different_category_is_different)
{
  // eof is 2 in the misc category; 2 in the system category is ENOENT.
  const error_code eof = error::eof;
  BOOST_TEST(eof.value() == 2);
  BOOST_TEST((eof != error_code(2, boost::system::system_category())));
  // already_open (misc 1) and host_not_found (netdb 1) share a value too.
  BOOST_TEST(error_code(error::already_open) != error_code(error::host_not_found));
  BOOST_TEST((error::get_misc_category() != error::get_netdb_category()));
  BOOST_TEST((error::get_misc_category() != error::get_addrinfo_category()));
  BOOST_TEST((error::get_netdb_category() != error::get_addrinfo_category()));
  BOOST_TEST((error::get_misc_category() != boost::system::system_category()));
}

BOOST_AUTO_TEST_CASE(categories_are_singletons)
{
  BOOST_TEST(&error::get_misc_category() == &error::get_misc_category());
  BOOST_TEST(&error::get_netdb_category() == &error::get_netdb_category());
  BOOST_TEST(&error::get_addrinfo_category() == &error::get_addrinfo_category());
}

BOOST_AUTO_TEST_CASE(category_names)
{
  BOOST_TEST((std::strcmp(error::get_netdb_category().name(), "blitz.netdb") == 0));
  BOOST_TEST((std::strcmp(error::get_addrinfo_category().name(), "blitz.addrinfo") == 0));
  BOOST_TEST((std::strcmp(error::get_misc_category().name(), "blitz.misc") == 0));
}

BOOST_AUTO_TEST_CASE(messages)
{
  BOOST_TEST(error_code(error::eof).message() == "End of file");
  BOOST_TEST(error_code(error::already_open).message() == "Already open");
  BOOST_TEST(error_code(error::not_found).message() == "Element not found");
  BOOST_TEST(!error_code(error::fd_set_failure).message().empty());
  BOOST_TEST(error_code(error::host_not_found).message() == "Host not found (authoritative)");
  BOOST_TEST(error_code(error::host_not_found_try_again).message()
      == "Host not found (non-authoritative), try again later");
  BOOST_TEST(!error_code(error::no_data).message().empty());
  BOOST_TEST(!error_code(error::no_recovery).message().empty());
  BOOST_TEST(error_code(error::service_not_found).message() == "Service not found");
  BOOST_TEST(error_code(error::socket_type_not_supported).message() == "Socket type not supported");
  BOOST_TEST(error_code(error::connection_refused).message() == std::strerror(ECONNREFUSED));

  // Distinct enumerators have distinct messages.
  BOOST_TEST(error_code(error::no_data).message() != error_code(error::no_recovery).message());

  // Values outside the enum still get a message naming the category.
  BOOST_TEST((error::get_misc_category().message(99) == "blitz.misc error"));
  BOOST_TEST((error::get_netdb_category().message(99) == "blitz.netdb error"));
  BOOST_TEST((error::get_addrinfo_category().message(12345) == "blitz.addrinfo error"));
}

BOOST_AUTO_TEST_CASE(errc_namespaces_alias_the_enumerators)
{
  BOOST_TEST(error_code(blitz::stream_errc::eof) == error::eof);
  BOOST_TEST(error_code(blitz::stream_errc::not_found) == error::not_found);
  BOOST_TEST(error_code(blitz::socket_errc::already_open) == error::already_open);
  BOOST_TEST(error_code(blitz::resolver_errc::host_not_found) == error::host_not_found);
  BOOST_TEST(error_code(blitz::resolver_errc::try_again) == error::host_not_found_try_again);
  BOOST_TEST(error_code(blitz::resolver_errc::service_not_found) == error::service_not_found);
}

BOOST_AUTO_TEST_CASE(throw_error_does_nothing_on_success)
{
  BOOST_CHECK_NO_THROW(blitz::detail::throw_error(error_code(), "connect"));
  BOOST_CHECK_NO_THROW(blitz::detail::throw_error(error_code()));
}

BOOST_AUTO_TEST_CASE(throw_error_throws_system_error_with_location)
{
  const error_code ec = error::connection_refused;
  bool thrown = false;
  try
  {
    blitz::detail::throw_error(ec, "connect");
  }
  catch (const boost::system::system_error& e)
  {
    thrown = true;
    BOOST_TEST(e.code() == ec);
    const std::string what = e.what();
    BOOST_TEST(what.find("connect") == 0u);
    BOOST_TEST(what.find(ec.message()) != std::string::npos);
  }
  BOOST_TEST(thrown);
}

BOOST_AUTO_TEST_CASE(throw_error_without_location)
{
  bool thrown = false;
  try
  {
    blitz::detail::throw_error(error::eof);
  }
  catch (const boost::system::system_error& e)
  {
    thrown = true;
    BOOST_TEST(e.code() == error::eof);
    BOOST_TEST(std::string(e.what()).find("End of file") != std::string::npos);
  }
  BOOST_TEST(thrown);
}
