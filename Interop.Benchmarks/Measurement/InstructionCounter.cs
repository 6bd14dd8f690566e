namespace Interop.Benchmarks;

/// <summary>
/// Counts the instructions of one call under callgrind without start-up cost. After a warm-up (every method compiled,
/// libtorch's lazily made state made), pairs of blocks of n and 5n calls are counted, each block from an empty heap,
/// followed by a full compacting collection with finalizers run, counted too: the garbage a block leaves, and the
/// finalizers it needs, are paid by the block that made it. Each pair gives (longer − shorter) / 4n: what the two
/// blocks share (collecting the live heap, the zero and dump requests) cancels. Callgrind instruments only the counted
/// blocks (and one block before them that settles the measuring code), which keeps the rest of the run fast.
/// </summary>
/// <remarks>
/// <para>
/// The collections are compacting because the runtime otherwise chooses between compacting and sweeping from the
/// heap's history, and a choice that depended on what ran before would move the count of the same calls by several
/// thousand instructions.
/// </para>
/// <para>
/// One block's count is exact, but the same calls cost a little more or less depending on where the C heap and the
/// graph nodes happen to lie: glibc's malloc walks different bins, and libtorch's autograd engine keeps nodes in hash
/// tables keyed by address. Those addresses drift as a process runs and differ between processes, so the pairs' figures
/// scatter by a few tenths of a percent. The median pair (the upper of the two middle ones when the count is even) is
/// reported, with its breakdown by place and its allocations; the lowest and highest pairs' figures are kept.
/// </para>
/// </remarks>
public static class InstructionCounter
{
    /// <summary>
    /// Counts <paramref name="call"/> in <paramref name="pairs"/> pairs of blocks, <paramref name="calls"/> calls in
    /// each longer block. Each dump is labelled "<paramref name="name"/>|pair P|N calls|calls" or "…|collection" (the
    /// settling block's pair is 0), and deleted once read unless <see cref="Callgrind.KeepsDumps"/>.
    /// </summary>
    public static InstructionCount PerCall(string name, Action call, int calls, int pairs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(calls, 5);
        ArgumentOutOfRangeException.ThrowIfLessThan(pairs, 1);
        for (int i = 0; i < 20; i++)
            call();
        var counted = new (Block Shorter, Block Longer)[pairs];
        Callgrind.Instrumented(() =>
        {
            Count(call, calls / 5, $"{name}|pair 0"); // settles the measuring code too, whose first run costs more
            for (int pair = 0; pair < pairs; pair++)
                counted[pair] = (Count(call, calls / 5, $"{name}|pair {pair + 1}"), Count(call, calls, $"{name}|pair {pair + 1}"));
        });
        double difference = calls - calls / 5;
        var figures = counted
            .Select(pair => new PairFigure(BlockCounts.Read(pair.Shorter), BlockCounts.Read(pair.Longer), difference))
            .OrderBy(figure => figure.Instructions)
            .ToArray();
        var median = figures[pairs / 2];
        return new InstructionCount(median.Instructions, figures[0].Instructions, figures[^1].Instructions, median.ByPlace,
            median.Collection, median.AllocatedBytes, calls, pairs);
    }

    /// <summary>One block: the dumps of its calls and of the collection after them, and the managed bytes the calls allocated.</summary>
    private readonly record struct Block(string CallsDump, string CollectionDump, long Allocated);

    /// <summary>A block's dumps, read.</summary>
    private sealed record BlockCounts(CallgrindDump Calls, CallgrindDump Collection, long Allocated)
    {
        /// <summary>Reads both dumps and deletes them unless they are kept: a run makes hundreds, about half a megabyte each.</summary>
        public static BlockCounts Read(Block block) => new(ReadAndDelete(block.CallsDump), ReadAndDelete(block.CollectionDump), block.Allocated);

        public long Total => Calls.Total + Collection.Total;

        public long At(string place) => Calls.ByPlace[place] + Collection.ByPlace[place];

        private static CallgrindDump ReadAndDelete(string dumpFile)
        {
            var dump = CallgrindDump.Read(dumpFile);
            if (!Callgrind.KeepsDumps)
                File.Delete(dumpFile);
            return dump;
        }
    }

    /// <summary>What one pair of blocks gives per call.</summary>
    private sealed class PairFigure(BlockCounts shorter, BlockCounts longer, double difference)
    {
        public double Instructions { get; } = (longer.Total - shorter.Total) / difference;

        public double Collection { get; } = (longer.Collection.Total - shorter.Collection.Total) / difference;

        public double AllocatedBytes { get; } = (longer.Allocated - shorter.Allocated) / difference;

        public IReadOnlyDictionary<string, double> ByPlace { get; } =
            CallgrindDump.Places.ToDictionary(p => p, p => (longer.At(p) - shorter.At(p)) / difference);
    }

    private static Block Count(Action call, int calls, string label)
    {
        CollectEverything();
        int collectionsBefore = GC.CollectionCount(0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        string callsDump = Callgrind.Count(() =>
        {
            for (int i = 0; i < calls; i++)
                call();
        }, $"{label}|{calls} calls|calls");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        string collectionDump = Callgrind.Count(CollectEverything, $"{label}|{calls} calls|collection");
        // A collection that the allocation budget started among the calls would land in one block of a pair and not
        // in the other, and the difference would no longer be per call; CollectEverything makes exactly two.
        int collections = GC.CollectionCount(0) - collectionsBefore;
        if (collections != 2)
            throw new InvalidOperationException($"{collections - 2} garbage collection(s) started inside a block of {calls} calls: raise DOTNET_GCgen0size.");
        return new Block(callsDump, collectionDump, allocated);
    }

    /// <summary>Collects and compacts every generation, runs the finalizers of what it found, and collects what they released.</summary>
    private static void CollectEverything()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }
}
