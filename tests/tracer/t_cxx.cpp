// t_cxx.cpp - C++ threads: std::mutex, std::condition_variable, std::thread::join and
// std::this_thread::sleep_for reach the same wrappers through libstdc++.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

static std::mutex queue_mutex;
static std::condition_variable queue_ready;
static int items, taken;

int main()
{
    std::thread consumer([] {
        for (int i = 0; i < 50; i++) {
            std::unique_lock<std::mutex> lock(queue_mutex);
            queue_ready.wait(lock, [] { return items > 0; });
            items--;
            taken++;
        }
    });
    for (int i = 0; i < 50; i++) {
        {
            std::lock_guard<std::mutex> lock(queue_mutex);
            items++;
        }
        queue_ready.notify_one();
        if (i % 10 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    consumer.join();
    return taken == 50 ? 0 : 1;
}
