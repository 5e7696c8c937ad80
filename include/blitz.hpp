// Everything blitz-io offers. `#include <boost/asio.hpp>` ports to `#include <blitz.hpp>`.
#ifndef BLITZ_HPP
#define BLITZ_HPP

#include <blitz/associated_allocator.hpp>
#include <blitz/associated_cancellation_slot.hpp>
#include <blitz/associated_executor.hpp>
#include <blitz/basic_socket.hpp>
#include <blitz/basic_socket_acceptor.hpp>
#include <blitz/basic_stream_socket.hpp>
#include <blitz/basic_waitable_timer.hpp>
#include <blitz/bind_allocator.hpp>
#include <blitz/bind_cancellation_slot.hpp>
#include <blitz/bind_executor.hpp>
#include <blitz/buffer.hpp>
#include <blitz/cancel_after.hpp>
#include <blitz/cancellation_signal.hpp>
#include <blitz/cancellation_type.hpp>
#include <blitz/completion_condition.hpp>
#include <blitz/defer.hpp>
#include <blitz/dispatch.hpp>
#include <blitz/error.hpp>
#include <blitz/executor_work_guard.hpp>
#include <blitz/high_resolution_timer.hpp>
#include <blitz/io_context.hpp>
#include <blitz/io_service.hpp>
#include <blitz/ip/address.hpp>
#include <blitz/ip/address_v4.hpp>
#include <blitz/ip/address_v6.hpp>
#include <blitz/ip/basic_endpoint.hpp>
#include <blitz/ip/tcp.hpp>
#include <blitz/post.hpp>
#include <blitz/read.hpp>
#include <blitz/socket_base.hpp>
#include <blitz/steady_timer.hpp>
#include <blitz/system_timer.hpp>
#include <blitz/wait_traits.hpp>
#include <blitz/write.hpp>

#endif
