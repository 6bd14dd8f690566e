using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Interop.Tests.Support;

/// <summary>For code the tests compile with Roslyn: what the .NET SDK's <c>ImplicitUsings</c> adds to a console app or a library.</summary>
internal static class SdkImplicitUsings
{
    public static SyntaxTree Tree() => CSharpSyntaxTree.ParseText(
        "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; " +
        "global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks;",
        path: "GlobalUsings.g.cs");
}
