module portal/bench/streams

go 1.22
